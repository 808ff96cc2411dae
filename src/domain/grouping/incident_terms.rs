//! An incident's terms, tokenized once. Filing matches an incident against the index
//! and then adds it to the index; tokenizing (normalising, cutting n-grams, looking up
//! the lexicon) is the expensive part of both, so the occurrences are kept and each
//! side replays them in the order the tokenizer gave them (so the sums, and the
//! vectors, are those of tokenizing again).

use super::matcher::term_key;
use super::text;

/// One occurrence of a term: its key in the index's vocabulary, its weight, whether it
/// reads well in an explanation, and where its term and surface sit in the buffer.
#[derive(Clone, Copy)]
pub(crate) struct Occurrence {
    pub key: u64,
    pub weight: f32,
    pub explanatory: bool,
    term: (u32, u32),
    surface: (u32, u32),
}

/// The term occurrences of an incident's title and body (`text::for_each_term`).
#[derive(Default, Clone)]
pub struct IncidentTerms {
    occurrences: Vec<Occurrence>,
    /// The terms and surfaces, side by side.
    text: String,
}

impl IncidentTerms {
    pub fn of(title: &str, body: &str) -> Self {
        let mut out = Self {
            occurrences: Vec::with_capacity(96),
            text: String::with_capacity(512),
        };
        text::for_each_term(title, body, |t, w, surface| {
            let start = out.text.len() as u32;
            out.text.push_str(t);
            let mid = out.text.len() as u32;
            out.text.push_str(surface);
            out.occurrences.push(Occurrence {
                key: term_key(t),
                weight: w,
                explanatory: text::is_explanatory(t),
                term: (start, mid),
                surface: (mid, out.text.len() as u32),
            });
        });
        out
    }

    pub(crate) fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }

    /// The term as the tokenizer gave it ("@approval", "审批").
    pub(crate) fn term(&self, o: &Occurrence) -> &str {
        &self.text[o.term.0 as usize..o.term.1 as usize]
    }

    /// The term as the incident wrote it.
    pub(crate) fn surface(&self, o: &Occurrence) -> &str {
        &self.text[o.surface.0 as usize..o.surface.1 as usize]
    }
}
