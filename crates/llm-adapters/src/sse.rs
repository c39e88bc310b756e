//! Incremental parsing of streamed bodies: [`LineBuffer`] cuts bytes into lines whatever the
//! chunking, and [`SseParser`] builds `text/event-stream` events from them (the essentials of
//! the HTML spec's event-stream interpretation). Ollama's NDJSON uses [`LineBuffer`] alone.

use crate::AdapterError;

/// Longest line (and longest event data) kept in memory; a longer one is `Malformed`, so an
/// endless line cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Cuts a byte stream into lines ended by `\n`, `\r\n` or `\r`. Bytes are kept as bytes until
/// a line is complete, so a UTF-8 character split across chunks decodes fine.
#[derive(Debug, Default)]
pub struct LineBuffer {
    /// The incomplete last line.
    partial: Vec<u8>,
    /// The previous chunk ended in `\r`: a `\n` opening the next one belongs to it.
    after_cr: bool,
}

impl LineBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the lines they completed (without terminators), in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, AdapterError> {
        let mut lines = Vec::new();
        let mut rest = bytes;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some((b'\n', tail)) = rest.split_first() {
                rest = tail;
            }
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (head, tail) = rest.split_at(pos);
            self.append(head)?;
            let line = std::mem::take(&mut self.partial);
            lines.push(
                String::from_utf8(line).map_err(|_| {
                    AdapterError::Malformed("stream line is not valid UTF-8".into())
                })?,
            );
            rest = match tail.split_first() {
                Some((b'\r', after)) => match after.split_first() {
                    Some((b'\n', after_lf)) => after_lf,
                    Some(_) => after,
                    None => {
                        self.after_cr = true;
                        after
                    }
                },
                Some((_, after)) => after,
                None => tail,
            };
        }
        self.append(rest)?;
        Ok(lines)
    }

    /// True when bytes of an unfinished line are buffered.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), AdapterError> {
        if self.partial.len() + bytes.len() > MAX_LINE_BYTES {
            return Err(AdapterError::Malformed(format!(
                "stream line longer than {MAX_LINE_BYTES} bytes"
            )));
        }
        self.partial.extend_from_slice(bytes);
        Ok(())
    }
}

/// One server-sent event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, when one was given.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Incremental `text/event-stream` parser.
#[derive(Debug, Default)]
pub struct SseParser {
    lines: LineBuffer,
    /// No line seen yet (a leading byte-order mark is dropped).
    started: bool,
    event: Option<String>,
    data: String,
    /// A `data` field was seen since the last dispatch (the data itself may be empty).
    has_data: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the events they completed, in order. `id:` and `retry:` fields and
    /// comment lines are read and ignored.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, AdapterError> {
        let mut events = Vec::new();
        for line in self.lines.feed(bytes)? {
            let line = if self.started {
                line.as_str()
            } else {
                self.started = true;
                line.strip_prefix('\u{feff}').unwrap_or(&line)
            };
            if let Some(event) = self.line(line)? {
                events.push(event);
            }
        }
        Ok(events)
    }

    fn line(&mut self, line: &str) -> Result<Option<SseEvent>, AdapterError> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                if self.data.len() + value.len() + 1 > MAX_LINE_BYTES {
                    return Err(AdapterError::Malformed(format!(
                        "event data longer than {MAX_LINE_BYTES} bytes"
                    )));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // Reconnection state: nothing to do for a single relayed request.
            _ => {}
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseEvent {
            event: event.filter(|e| !e.is_empty()),
            data: std::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
        }
    }

    fn parse_in_chunks(input: &[u8], size: usize) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for chunk in input.chunks(size) {
            out.extend(p.feed(chunk).unwrap());
        }
        out
    }

    #[test]
    fn parses_fields_comments_and_multiline_data() {
        let input = "\u{feff}: keep-alive\nevent: delta\nid: 7\nretry: 10\ndata: a\ndata:  b\ndata\n\n\
                     data:x\n\nevent: lonely\n\nunknown: y\ndata: é\n\n";
        let expected = vec![ev(Some("delta"), "a\n b\n"), ev(None, "x"), ev(None, "é")];
        for size in [input.len(), 1, 2, 3, 7] {
            assert_eq!(parse_in_chunks(input.as_bytes(), size), expected, "{size}");
        }
    }

    #[test]
    fn accepts_every_line_ending_across_chunk_borders() {
        let expected = vec![ev(None, "1"), ev(Some("e"), "2"), ev(None, "3")];
        for input in [
            "data: 1\r\n\r\nevent: e\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n",
            "data: 1\r\revent: e\rdata: 2\r\rdata: 3\r\r",
            "data: 1\n\nevent: e\ndata: 2\n\ndata: 3\n\n",
        ] {
            for size in 1..6 {
                assert_eq!(parse_in_chunks(input.as_bytes(), size), expected);
            }
        }
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        let mut p = SseParser::new();
        assert!(p.feed(b"data: partial\n").unwrap().is_empty());
        assert!(p.feed(b"data: more").unwrap().is_empty());
    }

    #[test]
    fn invalid_utf8_is_malformed() {
        let mut p = SseParser::new();
        assert!(matches!(
            p.feed(b"data: \xff\xfe\n\n"),
            Err(AdapterError::Malformed(_))
        ));
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut lines = LineBuffer::new();
        let chunk = vec![b'a'; 1024 * 1024];
        let mut result = Ok(Vec::new());
        for _ in 0..9 {
            result = lines.feed(&chunk);
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(result, Err(AdapterError::Malformed(_))));
    }

    #[test]
    fn line_buffer_reports_partial_lines() {
        let mut lines = LineBuffer::new();
        assert_eq!(lines.feed(b"{\"a\":1}\n{\"b\"").unwrap(), vec!["{\"a\":1}"]);
        assert!(lines.has_partial());
        assert_eq!(lines.feed(b":2}\r\n").unwrap(), vec!["{\"b\":2}"]);
        assert!(!lines.has_partial());
    }
}
