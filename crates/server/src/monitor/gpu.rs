//! NVIDIA GPUs through NVML, loaded at run time (`libnvidia-ml.so`): without the library or a
//! driver the binary works the same and reports no GPU, saying why. GPU choice for a
//! deployment: the one with the most free memory that fits.

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;

use super::types::GpuSample;

/// Something that lists GPUs.
pub trait GpuSource: Send + Sync {
    /// The GPUs now, or why they cannot be read.
    fn read(&self) -> Result<Vec<GpuSample>, String>;
}

/// NVML, if it loads.
pub struct NvmlSource {
    nvml: Result<Nvml, String>,
}

impl NvmlSource {
    /// Loads NVML once; a failure is kept as the reason.
    pub fn load() -> Self {
        let nvml = Nvml::init().map_err(|e| match e {
            nvml_wrapper::error::NvmlError::LibloadingError(_) => {
                "NVML (libnvidia-ml.so) is not installed: no NVIDIA driver".to_owned()
            }
            other => format!("NVML did not start: {other}"),
        });
        if let Err(reason) = &nvml {
            tracing::info!(%reason, "monitor: no NVIDIA GPU");
        }
        Self { nvml }
    }
}

impl GpuSource for NvmlSource {
    fn read(&self) -> Result<Vec<GpuSample>, String> {
        let nvml = self.nvml.as_ref().map_err(Clone::clone)?;
        let count = nvml.device_count().map_err(|e| e.to_string())?;
        let mut gpus = Vec::new();
        for index in 0..count {
            let device = nvml.device_by_index(index).map_err(|e| e.to_string())?;
            let memory = device.memory_info().map_err(|e| e.to_string())?;
            gpus.push(GpuSample {
                index,
                name: device.name().unwrap_or_default(),
                uuid: device.uuid().unwrap_or_default(),
                utilization_percent: device.utilization_rates().map_or(0, |u| u.gpu),
                memory_total_bytes: memory.total,
                memory_used_bytes: memory.used,
                temperature_celsius: device.temperature(TemperatureSensor::Gpu).ok(),
                power_watts: device.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
            });
        }
        Ok(gpus)
    }
}

/// Free memory of a GPU.
pub fn free_bytes(gpu: &GpuSample) -> u64 {
    gpu.memory_total_bytes.saturating_sub(gpu.memory_used_bytes)
}

/// The GPU for a model needing `needed` bytes: `wanted` if given (it must exist), else the one
/// with the most free memory, if any fits.
pub fn choose(gpus: &[GpuSample], wanted: Option<u32>, needed: u64) -> Result<Option<u32>, String> {
    if let Some(index) = wanted {
        return match gpus.iter().find(|g| g.index == index) {
            Some(_) => Ok(Some(index)),
            None => Err(format!(
                "there is no GPU {index}; this machine has {}",
                match gpus.len() {
                    0 => "none".to_owned(),
                    n => format!("{n} (0-{})", n - 1),
                }
            )),
        };
    }
    Ok(gpus
        .iter()
        .filter(|g| free_bytes(g) >= needed)
        .max_by_key(|g| free_bytes(g))
        .map(|g| g.index))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(index: u32, total_gib: u64, used_gib: u64) -> GpuSample {
        GpuSample {
            index,
            name: format!("GPU {index}"),
            uuid: format!("GPU-{index}"),
            utilization_percent: 0,
            memory_total_bytes: total_gib << 30,
            memory_used_bytes: used_gib << 30,
            temperature_celsius: None,
            power_watts: None,
        }
    }

    #[test]
    fn the_gpu_with_most_free_memory_that_fits_is_chosen() {
        let gpus = [gpu(0, 24, 20), gpu(1, 24, 4), gpu(2, 16, 2)];
        assert_eq!(choose(&gpus, None, 8 << 30), Ok(Some(1)));
        assert_eq!(choose(&gpus, None, 30 << 30), Ok(None));
        assert_eq!(choose(&gpus, Some(0), 30 << 30), Ok(Some(0)));
        assert_eq!(choose(&[], None, 1), Ok(None));
        let err = choose(&gpus, Some(7), 1).unwrap_err();
        assert!(err.contains("no GPU 7") && err.contains("3 (0-2)"), "{err}");
        assert!(choose(&[], Some(0), 1).unwrap_err().contains("none"));
    }

    #[test]
    fn without_nvml_the_reason_is_kept() {
        // This machine has no NVIDIA driver; a machine with one lists its GPUs.
        let source = NvmlSource::load();
        match source.read() {
            Ok(gpus) => assert!(gpus.iter().all(|g| g.memory_total_bytes > 0)),
            Err(reason) => assert!(reason.contains("NVML"), "{reason}"),
        }
    }
}
