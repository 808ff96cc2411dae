//! What people type around the problem and that says nothing about it: a
//! sign-off with a name ("Thanks, Maria"), @mentions, and letters held down
//! ("sooo slow", "急急急"). Greetings and fillers ("hi team", "FYI", "麻烦")
//! are stop words (`lexicon.rs`); numbers and ids are dropped by the tokenizer.

use super::text::is_cjk;

/// Words that close a message; what follows them is a name or a title.
const SIGNOFFS: [&str; 8] = [
    "thanks",
    "thank you",
    "thx",
    "regards",
    "cheers",
    "best,",
    "谢谢",
    "多谢",
];
/// A sign-off is cut only when this little follows it, so that "thanks to
/// the new rota the queue is empty ..." stays.
const MAX_SIGNOFF_TAIL_WORDS: usize = 3;
const MAX_SIGNOFF_TAIL_CHARS: usize = 40;

/// Cuts the last sign-off of a (normalised, lower-case) body and the few
/// words after it.
pub fn cut_signoff(chars: &mut Vec<char>) {
    let start = chars.len().saturating_sub(MAX_SIGNOFF_TAIL_CHARS + 12);
    let tail: String = chars[start..].iter().collect();
    let Some((byte, word)) = SIGNOFFS
        .iter()
        .filter_map(|w| tail.rfind(w).map(|p| (p, *w)))
        .max_by_key(|&(p, _)| p)
    else {
        return;
    };
    // A whole word only: not the "thanks" inside "thanksgiving".
    let before = tail[..byte].chars().next_back();
    if before.is_some_and(|c| c.is_alphanumeric() && !is_cjk(c)) {
        return;
    }
    let after = &tail[byte + word.len()..];
    if after.starts_with(|c: char| c.is_alphanumeric() && !is_cjk(c)) {
        return;
    }
    if after.split_whitespace().count() > MAX_SIGNOFF_TAIL_WORDS {
        return;
    }
    let at = start + tail[..byte].chars().count();
    chars.truncate(at);
}

/// Runs of three or more of the same letter become one ("sooo" -> "so",
/// "急急急" -> "急"); doubled letters stay, as spelling has them.
pub fn collapse_repeats(chars: &mut Vec<char>) {
    let mut out = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut j = i + 1;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let keep = if c.is_alphabetic() && j - i >= 3 {
            1
        } else {
            j - i
        };
        for _ in 0..keep {
            chars[out] = c;
            out += 1;
        }
        i = j;
    }
    chars.truncate(out);
}

/// Most Han characters of a name after "@" ("@李经理" is a surname and a title).
const MENTION_CJK: usize = 3;

/// The index after an @mention starting at `at` (which holds '@'): a Latin
/// handle with its dots and dashes, or up to `MENTION_CJK` Han characters.
pub fn skip_mention(chars: &[char], at: usize) -> usize {
    let mut i = at + 1;
    if chars.get(i).is_some_and(|&c| is_cjk(c)) {
        let end = (i + MENTION_CJK).min(chars.len());
        while i < end && is_cjk(chars[i]) {
            i += 1;
        }
        return i;
    }
    while i < chars.len()
        && (chars[i].is_alphanumeric() && !is_cjk(chars[i]) || matches!(chars[i], '.' | '_' | '-'))
    {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(s: &str) -> String {
        let mut v: Vec<char> = s.chars().collect();
        cut_signoff(&mut v);
        v.into_iter().collect()
    }

    #[test]
    fn signoffs_and_the_name_after_them_go() {
        assert_eq!(cut("order stuck. thanks, maria"), "order stuck. ");
        assert_eq!(cut("order stuck, thx"), "order stuck, ");
        assert_eq!(cut("单子卡住了 谢谢 王芳"), "单子卡住了 ");
        // A sentence that goes on is kept.
        let long = "thanks to the rota the queue is empty on most days now";
        assert_eq!(cut(long), long);
        assert_eq!(cut("thanksgiving orders"), "thanksgiving orders");
    }

    #[test]
    fn held_down_letters_collapse() {
        let mut v: Vec<char> = "sooo slow!!! 急急急 need".chars().collect();
        collapse_repeats(&mut v);
        assert_eq!(v.into_iter().collect::<String>(), "so slow!!! 急 need");
    }

    #[test]
    fn mentions_are_skipped() {
        let v: Vec<char> = "@wang.lei can".chars().collect();
        assert_eq!(skip_mention(&v, 0), 9);
        let v: Vec<char> = "@李经理审批".chars().collect();
        assert_eq!(skip_mention(&v, 0), 4);
    }
}
