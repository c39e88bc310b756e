//! A deployment's output: the last lines in memory (what the API shows and follows), every
//! line appended to `DATA_DIR/deployments/{id}.log`, rotated to `.log.1` past a size, and a
//! broadcast for followers.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use tokio::sync::broadcast;

/// Lines kept in memory.
const KEEP: usize = 2000;
/// Bytes a log file grows to before it is rotated.
const ROTATE_BYTES: u64 = 10 << 20;
/// A line longer than this is cut (a process printing without newlines cannot fill memory).
const MAX_LINE: usize = 8 << 10;

/// The open log file and how many bytes it holds (so rotation needs no `stat` per line).
struct Sink {
    file: Option<std::fs::File>,
    bytes: u64,
}

/// One deployment's log.
pub struct Log {
    lines: Mutex<VecDeque<String>>,
    file: PathBuf,
    sink: Mutex<Sink>,
    tx: broadcast::Sender<String>,
}

impl Log {
    /// A log written to `file`.
    pub fn new(file: PathBuf) -> Self {
        Self {
            lines: Mutex::new(VecDeque::new()),
            file,
            sink: Mutex::new(Sink {
                file: None,
                bytes: 0,
            }),
            tx: broadcast::channel(256).0,
        }
    }

    /// Adds a line (from the process, or the supervisor's own notes).
    pub fn push(&self, line: &str) {
        let mut line: String = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push_str(" …");
        }
        {
            let mut lines = self
                .lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if lines.len() >= KEEP {
                lines.pop_front();
            }
            lines.push_back(line.clone());
        }
        self.append(&line);
        let _ = self.tx.send(line);
    }

    /// Appends to the file, opened once and rotated to `.log.1` past its size.
    fn append(&self, line: &str) {
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if sink.bytes > ROTATE_BYTES {
            sink.file = None;
            let _ = std::fs::rename(&self.file, self.file.with_extension("log.1"));
        }
        if sink.file.is_none() {
            if let Some(dir) = self.file.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let opened = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.file);
            sink.bytes = opened
                .as_ref()
                .ok()
                .and_then(|f| f.metadata().ok())
                .map_or(0, |m| m.len());
            sink.file = opened.ok();
        }
        if let Some(f) = sink.file.as_mut()
            && writeln!(f, "{line}").is_ok()
        {
            sink.bytes += line.len() as u64 + 1;
        }
    }

    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let lines = self
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lines
            .iter()
            .skip(lines.len().saturating_sub(n))
            .cloned()
            .collect()
    }

    /// New lines as they come.
    pub fn follow(&self) -> broadcast::Receiver<String> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_bounded_written_and_cut() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path().join("d.log"));
        for i in 0..(KEEP + 5) {
            log.push(&format!("line {i}\n"));
        }
        assert_eq!(
            log.tail(2),
            vec![format!("line {}", KEEP + 3), format!("line {}", KEEP + 4)]
        );
        assert_eq!(log.tail(usize::MAX).len(), KEEP);
        log.push(&"é".repeat(MAX_LINE));
        assert!(log.tail(1)[0].len() <= MAX_LINE + 4);
        let written = std::fs::read_to_string(dir.path().join("d.log")).unwrap();
        assert!(written.starts_with("line 0\nline 1\n"));
    }
}
