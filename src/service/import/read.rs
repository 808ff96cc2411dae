//! Reading a spreadsheet's bytes as text, streamed: the encoding told by its byte-order
//! mark, else UTF-8 when the opening bytes are valid UTF-8, else UTF-16 when every other
//! byte is zero (Excel's "Unicode text" without a mark), else GBK (read as GB18030, its
//! superset); then the separator among comma, semicolon and tab, counted on the header.

use encoding_rs::{Decoder, Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};
use std::io::{self, Read};

/// How much is looked at to tell the encoding and the separator.
const SNIFF: usize = 64 * 1024;

/// How a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub encoding: &'static Encoding,
    pub delimiter: u8,
}

impl Shape {
    /// The encoding's name as people know it.
    pub fn encoding_name(&self) -> &'static str {
        match self.encoding.name() {
            "gb18030" => "GBK",
            "UTF-16LE" | "UTF-16BE" => "UTF-16",
            _ => "UTF-8",
        }
    }

    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b'\t' => "tab",
            b';' => "semicolon",
            _ => "comma",
        }
    }
}

/// Tell the encoding and the separator from the opening bytes of `source`, and return
/// a reader of UTF-8 text over the whole of it (the opening bytes included).
pub fn open<R: Read>(mut source: R) -> io::Result<(Shape, Utf8Reader<R>)> {
    let mut head = Vec::with_capacity(SNIFF);
    (&mut source).take(SNIFF as u64).read_to_end(&mut head)?;
    let encoding = sniff(&head);
    let delimiter = delimiter(&preview(encoding, &head));
    let mut reader = Utf8Reader {
        source,
        decoder: encoding.new_decoder_with_bom_removal(),
        pending: head,
        out: Vec::new(),
        start: 0,
        done: false,
    };
    reader.out.reserve(SNIFF * 3);
    Ok((
        Shape {
            encoding,
            delimiter,
        },
        reader,
    ))
}

fn sniff(head: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return encoding;
    }
    // Valid UTF-8 but for a character cut at the end of the sample.
    match std::str::from_utf8(head) {
        Ok(_) => return UTF_8,
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => return UTF_8,
        Err(_) => {}
    }
    let pairs = head.len() / 2;
    if pairs > 0 {
        let zeros = |offset: usize| {
            head.iter()
                .skip(offset)
                .step_by(2)
                .filter(|b| **b == 0)
                .count()
        };
        if zeros(1) * 3 > pairs {
            return UTF_16LE;
        }
        if zeros(0) * 3 > pairs {
            return UTF_16BE;
        }
    }
    GB18030
}

/// The sample as text (a cut character at its end dropped).
fn preview(encoding: &'static Encoding, head: &[u8]) -> String {
    let (text, _) = encoding.decode_with_bom_removal(head);
    text.into_owned()
}

/// The separator the header line uses most, outside quotes: comma unless another wins.
fn delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

/// UTF-8 text decoded from another encoding as it is read, a chunk at a time. Bytes
/// that are not valid in the encoding are an error naming where they are, not a
/// replacement character quietly filed.
pub struct Utf8Reader<R> {
    source: R,
    decoder: Decoder,
    /// Bytes read from the source, not yet decoded.
    pending: Vec<u8>,
    /// Decoded text not yet handed out, from `start`.
    out: Vec<u8>,
    start: usize,
    done: bool,
}

impl<R: Read> Utf8Reader<R> {
    fn fill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.start = 0;
        while self.out.is_empty() && !self.done {
            let last = if self.pending.is_empty() {
                let mut chunk = vec![0; SNIFF];
                let n = self.source.read(&mut chunk)?;
                chunk.truncate(n);
                self.pending = chunk;
                n == 0
            } else {
                false
            };
            let mut text = String::with_capacity(
                self.decoder
                    .max_utf8_buffer_length_without_replacement(self.pending.len())
                    .unwrap_or(self.pending.len() * 3 + 16),
            );
            let (result, read) =
                self.decoder
                    .decode_to_string_without_replacement(&self.pending, &mut text, last);
            if let encoding_rs::DecoderResult::Malformed(_, _) = result {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the file has bytes that are not text in the encoding it was read as",
                ));
            }
            self.pending.drain(..read);
            self.out.extend_from_slice(text.as_bytes());
            if last {
                self.done = true;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.start >= self.out.len() {
            self.fill()?;
        }
        let available = &self.out[self.start..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (Shape, String) {
        let (shape, mut reader) = open(bytes).unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        (shape, text)
    }

    #[test]
    fn tells_encodings_apart() {
        let (shape, text) = read_all("\u{feff}标题,类别\r\n打印机,it\r\n".as_bytes());
        assert_eq!(shape.encoding_name(), "UTF-8");
        assert_eq!(text, "标题,类别\r\n打印机,it\r\n");
        let (gbk, _, _) = GB18030.encode("标题;类别\r\n打印机卡纸;it\r\n");
        let (shape, text) = read_all(&gbk);
        assert_eq!((shape.encoding_name(), shape.delimiter), ("GBK", b';'));
        assert_eq!(text, "标题;类别\r\n打印机卡纸;it\r\n");
        let mut utf16 = vec![0xff, 0xfe];
        for unit in "标题\t类别\r\n网络\tit\r\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let (shape, text) = read_all(&utf16);
        assert_eq!((shape.encoding_name(), shape.delimiter), ("UTF-16", b'\t'));
        assert_eq!(text, "标题\t类别\r\n网络\tit\r\n");
    }

    #[test]
    fn separator_outside_quotes() {
        assert_eq!(delimiter("\"a;b;c\",d\n1;2;3;4;5"), b',');
        assert_eq!(delimiter("a\tb\tc"), b'\t');
        assert_eq!(delimiter("single"), b',');
    }
}
