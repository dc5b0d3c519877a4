//! The first pass's featurized rows, kept in a temporary file so that NB-LR's epochs read them
//! back instead of reading, parsing and tokenizing the training files again. Memory stays flat:
//! the rows go to disk as they are learned and come back one at a time.
//!
//! A row is one record: its byte length (`u32`, little-endian), then
//!
//! - the number of its features (varint);
//! - its distinct values, exactly (a count of them as a varint, then each `f64`'s bits,
//!   little-endian): a comment's values are few, one per distinct count of a feature;
//! - per feature, `column × values + index of its value` (varint), in the row's order;
//! - per label, one byte: bit 0 its value, bit 1 whether the row carries it.
//!
//! So a row reads back bit for bit as it was learned, in the same order.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Bytes buffered between the file and the rows, each way.
const BUFFER: usize = 1 << 20;

/// A temporary file of rows being written, then read back as often as needed. The file has no
/// name and goes away with the value (or the process).
#[derive(Debug)]
pub(super) struct Spill {
    out: BufWriter<File>,
    rows: u64,
    record: Vec<u8>,
    values: Vec<u64>,
}

impl Spill {
    /// A new, empty file in the system's temporary directory (`TMPDIR`).
    pub(super) fn new() -> io::Result<Spill> {
        Ok(Spill {
            out: BufWriter::with_capacity(BUFFER, tempfile::tempfile()?),
            rows: 0,
            record: Vec::new(),
            values: Vec::new(),
        })
    }

    /// Rows written so far.
    pub(super) fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends one row: its `(column, value)` pairs, its label values and which labels it
    /// carries (`None`: all).
    pub(super) fn push(
        &mut self,
        row: &[(u32, f64)],
        labels: &[bool],
        known: Option<&[bool]>,
    ) -> io::Result<()> {
        self.values.clear();
        for &(_, x) in row {
            if !self.values.contains(&x.to_bits()) {
                self.values.push(x.to_bits());
            }
        }
        let rec = &mut self.record;
        rec.clear();
        put_varint(rec, row.len() as u64);
        put_varint(rec, self.values.len() as u64);
        for &v in &self.values {
            rec.extend_from_slice(&v.to_le_bytes());
        }
        let k = self.values.len().max(1) as u64;
        for &(col, x) in row {
            let at = self
                .values
                .iter()
                .position(|&v| v == x.to_bits())
                .expect("every value was listed above");
            put_varint(rec, u64::from(col) * k + at as u64);
        }
        for (l, &y) in labels.iter().enumerate() {
            let carried = known.is_none_or(|k| k[l]);
            rec.push(u8::from(y) | (u8::from(carried) << 1));
        }
        let len = u32::try_from(rec.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "row over 4 GiB"))?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(rec)?;
        self.rows += 1;
        Ok(())
    }

    /// Reads every row back from the start, in the order written.
    pub(super) fn read(&mut self) -> io::Result<SpillReader<'_>> {
        self.out.flush()?;
        let file = self.out.get_mut();
        file.seek(SeekFrom::Start(0))?;
        Ok(SpillReader {
            input: BufReader::with_capacity(BUFFER, file),
            left: self.rows,
            record: std::mem::take(&mut self.record),
            values: Vec::new(),
        })
    }
}

/// The rows of a [`Spill`], read from its start.
pub(super) struct SpillReader<'a> {
    input: BufReader<&'a mut File>,
    left: u64,
    record: Vec<u8>,
    values: Vec<f64>,
}

impl SpillReader<'_> {
    /// The next row into `row`, `labels` and `known` (cleared first); `false` after the last.
    pub(super) fn next_row(
        &mut self,
        row: &mut Vec<(u32, f64)>,
        labels: &mut Vec<bool>,
        known: &mut Vec<bool>,
    ) -> io::Result<bool> {
        if self.left == 0 {
            return Ok(false);
        }
        self.left -= 1;
        let mut len = [0; 4];
        self.input.read_exact(&mut len)?;
        self.record.resize(u32::from_le_bytes(len) as usize, 0);
        self.input.read_exact(&mut self.record)?;
        let corrupt = || io::Error::new(io::ErrorKind::InvalidData, "a row read back garbled");
        let mut rec = self.record.as_slice();
        let n = get_varint(&mut rec).ok_or_else(corrupt)?;
        let k = get_varint(&mut rec).ok_or_else(corrupt)?;
        self.values.clear();
        for _ in 0..k {
            let (bits, rest) = rec.split_first_chunk::<8>().ok_or_else(corrupt)?;
            self.values.push(f64::from_bits(u64::from_le_bytes(*bits)));
            rec = rest;
        }
        let k = k.max(1);
        row.clear();
        for _ in 0..n {
            let v = get_varint(&mut rec).ok_or_else(corrupt)?;
            let col = u32::try_from(v / k).map_err(|_| corrupt())?;
            let x = *self.values.get((v % k) as usize).ok_or_else(corrupt)?;
            row.push((col, x));
        }
        labels.clear();
        known.clear();
        for &b in rec {
            labels.push(b & 1 != 0);
            known.push(b & 2 != 0);
        }
        Ok(true)
    }
}

/// LEB128: seven bits a byte, low first.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(input: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's features, labels and carried labels.
    type Row = (Vec<(u32, f64)>, Vec<bool>, Option<Vec<bool>>);

    #[test]
    fn rows_read_back_bit_for_bit_and_in_order_every_time() {
        let rows: Vec<Row> = vec![
            (
                vec![(7, 0.5), (u32::MAX, 0.25), (0, 0.5), (300, 1.0 / 3.0)],
                vec![true, false],
                None,
            ),
            (Vec::new(), vec![false, true], Some(vec![false, true])),
            (
                vec![(1 << 20, -0.0), (2, f64::MIN_POSITIVE)],
                vec![true, true],
                None,
            ),
        ];
        let mut spill = Spill::new().unwrap();
        for (row, labels, known) in &rows {
            spill.push(row, labels, known.as_deref()).unwrap();
        }
        assert_eq!(spill.rows(), 3);
        for _ in 0..2 {
            let mut reader = spill.read().unwrap();
            let (mut row, mut labels, mut known) = (Vec::new(), Vec::new(), Vec::new());
            for (want_row, want_labels, want_known) in &rows {
                assert!(reader.next_row(&mut row, &mut labels, &mut known).unwrap());
                let bits = |r: &[(u32, f64)]| -> Vec<(u32, u64)> {
                    r.iter().map(|&(c, x)| (c, x.to_bits())).collect()
                };
                assert_eq!(bits(&row), bits(want_row));
                assert_eq!(&labels, want_labels);
                let all = vec![true; want_labels.len()];
                assert_eq!(&known, want_known.as_ref().unwrap_or(&all));
            }
            assert!(!reader.next_row(&mut row, &mut labels, &mut known).unwrap());
        }
    }

    #[test]
    fn varints_round_trip() {
        for v in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX) * 9,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut input = out.as_slice();
            assert_eq!(get_varint(&mut input), Some(v));
            assert!(input.is_empty());
        }
        assert_eq!(get_varint(&mut [0x80u8].as_slice()), None);
    }
}
