//! The tokenizer's state machine: CJK runs into n-grams and dictionary words, Latin
//! chunks into stemmed words, phrases, trigrams and concepts.

use super::*;

/// Scratch space reused across calls (per thread), so tokenizing allocates
/// nothing in the steady state.
#[derive(Default)]
pub(super) struct Buffers {
    pub(super) chars: Vec<char>,
    pub(super) buf: String,
    pub(super) word: String,
    pub(super) stem: String,
    /// Previous stemmed Latin word and its surface, for phrases ("log in").
    pub(super) prev: String,
    pub(super) prev_surface: String,
    /// The surface of a concept being emitted.
    pub(super) surf: String,
    /// Per character of a CJK run: which dictionary word covers it (0: none).
    pub(super) span: Vec<u32>,
}

pub(super) struct Tokenizer<'a, F> {
    pub(super) f: &'a mut F,
    pub(super) b: &'a mut Buffers,
}

impl<F: FnMut(&str, f32, &str)> Tokenizer<'_, F> {
    pub(super) fn field(&mut self, chars: &[char], w: f32) {
        let n = chars.len();
        let mut i = 0;
        while i < n {
            let c = chars[i];
            if c == '@' {
                // "@wang.lei", "@李经理": a person, not the problem.
                i = clean::skip_mention(chars, i);
                self.b.prev.clear();
            } else if is_cjk(c) {
                let start = i;
                while i < n && is_cjk(chars[i]) {
                    i += 1;
                }
                self.cjk_run(&chars[start..i], w);
                self.b.prev.clear();
            } else if is_word_char(c) {
                let start = i;
                loop {
                    while i < n
                        && (is_word_char(chars[i])
                            || (is_apostrophe(chars[i]) && i + 1 < n && is_word_char(chars[i + 1])))
                    {
                        i += 1;
                    }
                    if i + 1 < n && is_joiner(chars[i]) && is_word_char(chars[i + 1]) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                self.latin_chunk(&chars[start..i], w);
            } else {
                i += 1;
            }
        }
    }

    /// A joined chunk such as "order#1182", "SO-2026-0042" or "sign-in".
    fn latin_chunk(&mut self, chunk: &[char], w: f32) {
        let has_digit = chunk.iter().any(|c| c.is_numeric());
        for part in chunk.split(|&c| is_joiner(c)) {
            let word = if part.iter().any(|c| c.is_numeric()) {
                // "order1182" keeps "order"; "PO1182" and "v2" are ids.
                let alpha = part.iter().take_while(|c| c.is_alphabetic()).count();
                if alpha < 4 {
                    continue;
                }
                &part[..alpha]
            } else if has_digit && part.len() <= 3 {
                continue; // the "SO" of "SO-2026-0042"
            } else {
                part
            };
            self.word(word, w);
        }
    }

    fn word(&mut self, word: &[char], w: f32) {
        let mut surface = std::mem::take(&mut self.b.word);
        surface.clear();
        match word.iter().position(|&c| is_apostrophe(c)) {
            Some(p) if p + 2 == word.len() && word[p - 1] == 'n' && word[p + 1] == 't' => {
                surface.push_str("not")
            }
            Some(p) => surface.extend(&word[..p]),
            None => surface.extend(word),
        }
        let len = surface.chars().count();
        if (2..=MAX_WORD_CHARS).contains(&len) {
            self.known_word(&surface, w);
        }
        self.b.word = surface;
    }

    fn known_word(&mut self, surface: &str, w: f32) {
        let b = &mut *self.b;
        lexicon::stem_into(surface, &mut b.stem);
        if !b.prev.is_empty() {
            b.buf.clear();
            b.buf.push_str(&b.prev);
            b.buf.push(' ');
            b.buf.push_str(&b.stem);
            if let Some(c) = lexicon::en_concept(&b.buf) {
                b.surf.clear();
                b.surf.push_str(&b.prev_surface);
                b.surf.push(' ');
                b.surf.push_str(surface);
                self.concept(c, EN_CONCEPT * w);
            }
        }
        let b = &mut *self.b;
        b.prev.clone_from(&b.stem);
        b.prev_surface.clear();
        b.prev_surface.push_str(surface);
        if lexicon::is_en_stop(surface) || lexicon::is_negation(surface) {
            return;
        }
        self.trigrams(surface, w);
        let b = &mut *self.b;
        // A dictionary word counts once, as its concept.
        match lexicon::en_concept(&b.stem) {
            Some(c) => {
                b.surf.clear();
                b.surf.push_str(surface);
                self.concept(c, EN_CONCEPT * w);
            }
            None => (self.f)(&b.stem, WORD * w, surface),
        }
    }

    /// Character trigrams of a word with its boundaries ("^ap", "app", ...,
    /// "al$"), marked so they never equal a word or a Han n-gram.
    fn trigrams(&mut self, surface: &str, w: f32) {
        let n = surface.chars().count();
        if n < MIN_TRIGRAM_WORD || !surface.is_ascii() {
            return;
        }
        let bytes = surface.as_bytes();
        let padded = |k: usize| -> u8 {
            match k {
                0 => b'^',
                k if k > n => b'$',
                k => bytes[k - 1],
            }
        };
        for k in 0..n {
            self.b.buf.clear();
            self.b.buf.push(lexicon::GRAM_MARK);
            for j in k..k + 3 {
                self.b.buf.push(padded(j) as char);
            }
            (self.f)(&self.b.buf, LATIN_TRIGRAM * w, surface);
        }
    }

    /// Emits a concept term; its surface (the words as written, in `surf`)
    /// is what an explanation shows.
    fn concept(&mut self, concept: &str, w: f32) {
        self.b.buf.clear();
        self.b.buf.push(CONCEPT_MARK);
        self.b.buf.push_str(concept);
        (self.f)(&self.b.buf, w, &self.b.surf);
    }

    /// Emits a concept for each dictionary word, then unigrams and bigrams
    /// of the segments left between stop words. No n-gram spans a stop word,
    /// and a dictionary word counts once, as its concept, not also as its
    /// bigrams.
    fn cjk_run(&mut self, run: &[char], w: f32) {
        self.b.span.clear();
        self.b.span.resize(run.len(), 0);
        let mut seg_start = 0;
        let mut concept_until = 0;
        let mut bridge_until = 0;
        let bridge_weight = bridge::weight();
        let mut i = 0;
        while i < run.len() {
            let (stop, concept) = lexicon::zh_lookup(run, i);
            let concept_len = concept.map_or(0, |(l, _)| l);
            if concept_len > 0 {
                // The hand-written word list speaks for its words.
                bridge_until = bridge_until.max(i + concept_len);
            } else if bridge_weight > 0.0 && i >= concept_until && i >= bridge_until {
                bridge_until = self.bridge_word(run, i, stop, bridge_weight * w);
            }
            if let Some((l, c)) = concept.filter(|_| i >= concept_until) {
                self.b.surf.clear();
                self.b.surf.extend(&run[i..i + l]);
                if lexicon::bilingual() {
                    self.concept(c, CONCEPT * w);
                } else {
                    self.b.word.clear();
                    self.b.word.push_str("zh:");
                    self.b.word.push_str(c);
                    let own = std::mem::take(&mut self.b.word);
                    self.concept(&own, CONCEPT * w);
                    self.b.word = own;
                }
                concept_until = i + l;
                let id = i as u32 + 1;
                self.b.span[i..i + l].iter_mut().for_each(|s| *s = id);
            }
            // A stop word inside a longer content word (请 in 请假) is content.
            if stop > 0 && stop >= concept_len {
                self.segment(run, seg_start, i, w);
                i += stop;
                seg_start = i;
            } else {
                i += 1;
            }
        }
        self.segment(run, seg_start, run.len(), w);
    }

    /// Emits the English terms of the longest bridge word at `run[i]` (not
    /// a stop word's span, unless the word is longer), and returns where the
    /// next one may start.
    fn bridge_word(&mut self, run: &[char], i: usize, stop: usize, w: f32) -> usize {
        let Some((len, terms)) = bridge::lookup(run, i).filter(|(l, _)| *l > stop) else {
            return i;
        };
        self.b.surf.clear();
        self.b.surf.extend(&run[i..i + len]);
        for term in terms {
            (self.f)(term, w, &self.b.surf);
        }
        i + len
    }

    fn segment(&mut self, run: &[char], from: usize, to: usize, w: f32) {
        for k in from..to {
            self.b.buf.clear();
            self.b.buf.push(run[k]);
            // Inside a dictionary word the concept already speaks for it.
            if self.b.span[k] == 0 {
                (self.f)(&self.b.buf, CJK_UNIGRAM * w, &self.b.buf);
            }
            if k + 1 < to && (self.b.span[k] == 0 || self.b.span[k] != self.b.span[k + 1]) {
                self.b.buf.push(run[k + 1]);
                (self.f)(&self.b.buf, CJK_BIGRAM * w, &self.b.buf);
            }
        }
    }
}
