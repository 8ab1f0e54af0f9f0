//! Lengths of runs of ASCII word bytes, eight bytes at a time: the tokenisers (features, query
//! matching, VADER's split) all cut words, and a byte loop that stops at a word's end
//! mispredicts its exit once per word (word lengths are data). Here a word of up to 7 bytes takes
//! one step whose branch goes the same way for nearly every word.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` set where the byte is in `lo..=hi` (`x`'s bytes < 0x80,
/// `hi` < 0x80): no carry crosses a byte, since each sum stays ≤ 0xFF.
#[inline]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x + ONES * u64::from(0x80 - lo);
    let above_hi = x + ONES * u64::from(0x7F - hi);
    at_least_lo & !above_hi & HIGHS
}

/// The high bit of each byte set where the byte is an ASCII letter or digit (or `_` when
/// `underscore`).
#[inline]
fn word_bytes(x: u64, underscore: bool) -> u64 {
    let ascii = !x & HIGHS;
    let low7 = x & !HIGHS;
    let digits = in_range(low7, b'0', b'9');
    let letters = in_range(low7 | (ONES * 0x20), b'a', b'z');
    let underscores = if underscore {
        in_range(low7, b'_', b'_')
    } else {
        0
    };
    (digits | letters | underscores) & ascii
}

/// The high bit of each byte set where the byte is Python's ASCII whitespace (`str.split()`):
/// `\t \n \v \f \r`, the separators `\x1c..\x1f` and space.
#[inline]
fn space_bytes(x: u64) -> u64 {
    let ascii = !x & HIGHS;
    let low7 = x & !HIGHS;
    (in_range(low7, 0x09, 0x0D) | in_range(low7, 0x1C, 0x20)) & ascii
}

/// Python's ASCII whitespace, one byte at a time.
#[inline]
pub fn is_space_byte(byte: u8) -> bool {
    matches!(byte, 0x09..=0x0D | 0x1C..=0x20)
}

/// How many bytes at the start of `bytes` belong to the set whose members `members` marks (the
/// high bit of each member byte of a little-endian word) and `is_member` tests one by one.
#[inline]
fn run(bytes: &[u8], members: impl Fn(u64) -> u64, is_member: impl Fn(u8) -> bool) -> usize {
    let mut len = 0;
    while let Some(chunk) = bytes.get(len..len + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let others = !members(u64::from_le_bytes(word)) & HIGHS;
        if others != 0 {
            return len + (others.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    len + bytes[len..].iter().take_while(|b| is_member(**b)).count()
}

/// How many bytes at the start of `bytes` are ASCII letters or digits.
#[inline]
pub fn alnum_run(bytes: &[u8]) -> usize {
    run(
        bytes,
        |x| word_bytes(x, false),
        |b| b.is_ascii_alphanumeric(),
    )
}

/// How many bytes at the start of `bytes` are ASCII letters, digits or `_`.
#[inline]
pub fn word_run(bytes: &[u8]) -> usize {
    run(
        bytes,
        |x| word_bytes(x, true),
        |b| b.is_ascii_alphanumeric() || b == b'_',
    )
}

/// How many bytes at the start of `bytes` are not Python's ASCII whitespace ([`is_space_byte`];
/// any byte ≥ 0x80 counts as not whitespace, so callers pass ASCII text).
#[inline]
pub fn non_space_run(bytes: &[u8]) -> usize {
    run(bytes, |x| !space_bytes(x) & HIGHS, |b| !is_space_byte(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_match_a_byte_loop_for_every_byte_at_every_position() {
        for byte in 0..=255u8 {
            for at in 0..20 {
                let mut bytes = *b"abcXYZ019_abcdefghij";
                bytes[at] = byte;
                for start in 0..bytes.len() {
                    let rest = &bytes[start..];
                    let alnum = rest
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric())
                        .count();
                    let word = rest
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    let non_space = rest.iter().take_while(|b| !is_space_byte(**b)).count();
                    assert_eq!(
                        non_space_run(rest),
                        non_space,
                        "{byte} at {at}, from {start}"
                    );
                    assert_eq!(alnum_run(rest), alnum, "{byte} at {at}, from {start}");
                    assert_eq!(word_run(rest), word, "{byte} at {at}, from {start}");
                }
            }
        }
        assert_eq!(alnum_run(b""), 0);
        assert_eq!(word_run("héllo".as_bytes()), 1);
    }
}
