//! A map from words to what a lexicon knows about them, built for one lookup per token on the hot
//! path: words of up to 15 bytes (nearly all of them) are packed, with their length, into a
//! 16-byte key stored in the table itself, so a lookup compares two integers instead of following
//! a pointer to the key's text; longer words go to an ordinary map.

use rustc_hash::FxHashMap;

/// The longest word packed into a key; the sixteenth byte holds the length, which keeps keys
/// distinct even for words with NUL bytes.
const PACKED_MAX: usize = 15;

/// A word packed into a key: its bytes, zero-padded, then its length.
type PackedWord = (u64, u64);

/// A word → value map; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct WordMap<V> {
    short: FxHashMap<PackedWord, V>,
    long: FxHashMap<Box<str>, V>,
}

impl<V> Default for WordMap<V> {
    fn default() -> Self {
        WordMap {
            short: FxHashMap::default(),
            long: FxHashMap::default(),
        }
    }
}

/// `word` packed into a key, or `None` when it is longer than [`PACKED_MAX`] bytes.
#[inline]
fn pack(word: &[u8]) -> Option<PackedWord> {
    if word.len() > PACKED_MAX {
        return None;
    }
    let mut bytes = [0u8; 16];
    bytes[..word.len()].copy_from_slice(word);
    bytes[PACKED_MAX] = word.len() as u8;
    Some(split(bytes))
}

/// The key of 16 packed bytes: its two little-endian halves.
#[inline]
fn split(bytes: [u8; 16]) -> PackedWord {
    let (low, high) = bytes.split_at(8);
    let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or([0; 8]));
    (word(low), word(high))
}

impl<V> WordMap<V> {
    /// What the map holds for `word`.
    #[inline]
    pub(crate) fn get(&self, word: &str) -> Option<&V> {
        match pack(word.as_bytes()) {
            Some(key) => self.short.get(&key),
            None => self.long.get(word),
        }
    }

    /// Like [`WordMap::get`] for a word already written into the first bytes of a zeroed
    /// 16-byte buffer: `bytes[..len]` is the word and every byte after it is zero.
    #[inline]
    pub(crate) fn get_zero_padded(&self, mut bytes: [u8; 16], len: usize) -> Option<&V> {
        if len > PACKED_MAX {
            return None;
        }
        bytes[PACKED_MAX] = len as u8;
        self.short.get(&split(bytes))
    }

    /// The value for `word`, inserted as the default first if absent.
    pub(crate) fn entry_or_default(&mut self, word: &str) -> &mut V
    where
        V: Default,
    {
        match pack(word.as_bytes()) {
            Some(key) => self.short.entry(key).or_default(),
            None => self.long.entry(word.into()).or_default(),
        }
    }

    /// Number of words.
    pub(crate) fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_words_of_every_length_and_only_those() {
        let words = [
            "a",
            "no",
            "café",
            "fifteen-bytes!!",
            "sixteen-bytes!!!",
            "a\0",
            "x\0\0",
            "",
            "supercalifragilistic",
        ];
        let mut map = WordMap::default();
        for (value, word) in words.iter().enumerate() {
            *map.entry_or_default(word) = value;
        }
        assert_eq!(map.len(), words.len());
        for (value, word) in words.iter().enumerate() {
            assert_eq!(map.get(word), Some(&value), "{word:?}");
        }
        for absent in ["b", "a\0\0", "caf", "fifteen-bytes!", "supercalifragilisti"] {
            assert_eq!(map.get(absent), None, "{absent:?}");
        }
        let mut padded = [0u8; 16];
        padded[..2].copy_from_slice(b"no");
        assert_eq!(map.get_zero_padded(padded, 2), Some(&1));
        assert_eq!(map.get_zero_padded(padded, 3), None);
    }
}
