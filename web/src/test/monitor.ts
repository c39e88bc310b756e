// Test data of the resource monitor: host samples, GPUs and deployments' processes, with numbers
// chosen so that the page's words are easy to predict (3.1 GiB of 23.4 GiB…).

import type { Gpu, HostSample, ProcessSample, Sample } from '../api/monitor.ts';

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

export function hostSample(at: string, over: Partial<HostSample> = {}): HostSample {
  return {
    at,
    cpu_percent: 12,
    cpu_count: 2,
    load_average: [0.52, 0.4, 0.31],
    memory_total_bytes: 23.4 * GIB,
    memory_used_bytes: 3.1 * GIB,
    memory_available_bytes: 20 * GIB,
    swap_total_bytes: 4 * GIB,
    swap_used_bytes: 0,
    disks: [{ mount: '/data', total_bytes: 100 * GIB, available_bytes: 55 * GIB }],
    network_rx_bytes_per_second: 1536,
    network_tx_bytes_per_second: 512,
    ...over,
  };
}

export const SMOL_PROCESS: ProcessSample = { id: 'd1', name: 'smol', pid: 777, cpu_percent: 35, rss_bytes: 512 * MIB };

export const L4: Gpu = {
  index: 0,
  name: 'NVIDIA L4',
  uuid: 'GPU-1',
  utilization_percent: 45,
  memory_total_bytes: 22 * GIB,
  memory_used_bytes: 10 * GIB,
  temperature_celsius: 60,
  power_watts: 72.4,
};

export function sample(at: string, over: { host?: Partial<HostSample>; gpus?: Gpu[]; deployments?: ProcessSample[] } = {}): Sample {
  return { at, host: hostSample(at, over.host), gpus: over.gpus ?? [], deployments: over.deployments ?? [SMOL_PROCESS] };
}

export const NO_GPUS = { available: false, reason: 'NVML is not installed', gpus: [] };
