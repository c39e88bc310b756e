//! Which bytes of a file are on disk: fixed segments, a bitmap of the finished ones and the
//! bytes written so far of those in flight. Stored with the file's row (hex bitmap,
//! `index:bytes,…`), so a resume fetches only what is missing (`durable.rs`: which map to trust).

use std::collections::BTreeMap;

/// Segment size of new downloads.
pub const SEGMENT_BYTES: u64 = 16 << 20;

/// The progress of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentMap {
    size: u64,
    segment: u64,
    done: Vec<u8>,
    partial: BTreeMap<u32, u64>,
}

impl SegmentMap {
    /// Nothing done yet.
    pub fn new(size: u64, segment: u64) -> Self {
        let segment = segment.max(1);
        let count = size.div_ceil(segment) as usize;
        Self {
            size,
            segment,
            done: vec![0; count.div_ceil(8)],
            partial: BTreeMap::new(),
        }
    }

    /// Reads the stored form back; anything unreadable or inconsistent counts as not done.
    pub fn decode(size: u64, segment: u64, done_hex: &str, partial: &str) -> Self {
        let mut map = Self::new(size, segment);
        if let Ok(bits) = hex::decode(done_hex)
            && bits.len() == map.done.len()
        {
            map.done = bits;
            // Bits past the last segment are not segments.
            for i in map.count()..(map.done.len() as u32 * 8) {
                if let Some(b) = map.done.get_mut((i / 8) as usize) {
                    *b &= !(1 << (i % 8));
                }
            }
        }
        for pair in partial.split(',').filter(|p| !p.is_empty()) {
            if let Some((i, n)) = pair.split_once(':')
                && let (Ok(i), Ok(n)) = (i.parse::<u32>(), n.parse::<u64>())
                && i < map.count()
                && !map.is_done(i)
            {
                map.advance(i, n);
            }
        }
        map
    }

    /// The stored form: (hex bitmap, `index:bytes,…`).
    pub fn encode(&self) -> (String, String) {
        let partial = self
            .partial
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| format!("{i}:{n}"))
            .collect::<Vec<_>>()
            .join(",");
        (hex::encode(&self.done), partial)
    }

    /// Number of segments.
    pub fn count(&self) -> u32 {
        self.size.div_ceil(self.segment) as u32
    }

    /// Segment size.
    pub fn segment_bytes(&self) -> u64 {
        self.segment
    }

    /// Byte range `[start, end)` of segment `i`.
    pub fn range(&self, i: u32) -> (u64, u64) {
        let start = u64::from(i) * self.segment;
        (start, (start + self.segment).min(self.size))
    }

    /// Whether segment `i` is finished.
    pub fn is_done(&self, i: u32) -> bool {
        self.done
            .get((i / 8) as usize)
            .is_some_and(|b| b & (1 << (i % 8)) != 0)
    }

    /// Segments not finished, in order.
    pub fn missing(&self) -> Vec<u32> {
        (0..self.count()).filter(|i| !self.is_done(*i)).collect()
    }

    /// The first segment not finished.
    pub fn first_missing(&self) -> Option<u32> {
        (0..self.count()).find(|i| !self.is_done(*i))
    }

    /// Where a fetch of segment `i` resumes.
    pub fn resume_at(&self, i: u32) -> u64 {
        self.range(i).0 + self.partial.get(&i).copied().unwrap_or(0)
    }

    /// Records `bytes` more written at the front of segment `i`'s missing part.
    pub fn advance(&mut self, i: u32, bytes: u64) {
        let (start, end) = self.range(i);
        let entry = self.partial.entry(i).or_insert(0);
        *entry = (*entry + bytes).min(end - start);
        if *entry == end - start {
            self.partial.remove(&i);
            if let Some(b) = self.done.get_mut((i / 8) as usize) {
                *b |= 1 << (i % 8);
            }
        }
    }

    /// Bytes on disk.
    pub fn done_bytes(&self) -> u64 {
        let finished: u64 = (0..self.count())
            .filter(|i| self.is_done(*i))
            .map(|i| {
                let (a, b) = self.range(i);
                b - a
            })
            .sum();
        finished + self.partial.values().sum::<u64>()
    }

    /// Whether every segment is finished.
    pub fn complete(&self) -> bool {
        (0..self.count()).all(|i| self.is_done(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_survives_its_stored_form() {
        let mut map = SegmentMap::new(100, 16);
        assert_eq!(map.count(), 7);
        assert_eq!(map.range(6), (96, 100));
        map.advance(0, 16);
        map.advance(3, 5);
        map.advance(6, 4);
        assert_eq!(map.missing(), vec![1, 2, 3, 4, 5]);
        assert_eq!(map.resume_at(3), 53);
        assert_eq!(map.done_bytes(), 16 + 5 + 4);
        let (bits, partial) = map.encode();
        assert_eq!(partial, "3:5");
        assert_eq!(SegmentMap::decode(100, 16, &bits, &partial), map);
    }

    #[test]
    fn a_finished_map_is_complete_and_garbage_reads_as_nothing_done() {
        let mut map = SegmentMap::new(40, 16);
        for i in 0..3 {
            let (a, b) = map.range(i);
            map.advance(i, b - a);
        }
        assert!(map.complete());
        assert_eq!(map.done_bytes(), 40);
        let empty = SegmentMap::new(40, 16);
        assert_eq!(SegmentMap::decode(40, 16, "zz", "x,9:1,1:999"), {
            let mut m = empty.clone();
            m.advance(1, 16);
            m
        });
        assert_eq!(SegmentMap::decode(40, 16, "ff", ""), {
            let mut m = empty;
            for i in 0..3 {
                m.advance(i, 16);
            }
            m
        });
        assert!(SegmentMap::new(0, 16).complete());
    }
}
