"""Generate golden BLEU and chrF scores from sacreBLEU for ReproKit's text metrics.

What this is
    A one-off generator of `Tests/Fixtures/bleu.json`, read by
    Tests/ReproKitTests/BLEUTests.swift and BleuCommandTests.swift. Every score in it is
    sacreBLEU's own (corpus BLEU and chrF with their defaults: 13a tokenisation, 'exp'
    smoothing, mixed case; chrF char order 6, word order 0, beta 2). The JSON is committed;
    the Swift tests never run Python.

How to run (from the repository root)
    python3 -m venv /root/venv-bleu && /root/venv-bleu/bin/pip install sacrebleu
    /root/venv-bleu/bin/python scripts/golden/make_bleu_fixture.py
    The realistic cases read Genesis from the Debian packages sword-text-kjv (English) and
    sword-text-sparv (Spanish, Reina-Valera 1909): apt-get install sword-text-kjv sword-text-sparv.

Format
    {"generator": "sacrebleu <version>", "sacrebleu_version": "<version>",
     "cases": [{"name", "hypotheses": [str], "references": [[str]] (one list per reference
                stream, like sacrebleu.corpus_bleu), "tokenized": {"hypotheses": [...],
                "references": [[...]]} (13a, small cases only),
                "bleu": {"score", "counts", "totals", "precisions", "bp", "sys_len",
                         "ref_len", "ratio", "signature", "text"},
                "chrf": {"score", "signature", "text"}}],
     "file": {"hypothesis": str, "references": [str], "bleu": {...}, "chrf": {...}},
     "buckets": {"source_lengths": [int], "hypotheses", "references", "edges": [int],
                 "scores": [{"lower", "upper", "sentences", "bleu": {...}}]}}
    "text" is str(score): what sacreBLEU prints without a signature, e.g.
    "BLEU = 34.16 65.2/40.0/27.3/19.0 (BP = 1.000 ratio = 1.000 hyp_len = 10 ref_len = 10)".
    "file" holds raw file contents (CRLF, trailing blanks, no final newline); its scores
    are over the lines as sacreBLEU's command line reads files: split at '\n' only, each
    line rstrip()ped (sacrebleu.py, "Read references" and "Read the system").

Determinism
    Hypotheses are perturbations of the references by random.Random(seed): the same on
    every run and every machine, so regenerating changes nothing unless sacreBLEU does.
"""

import json
import random
import re
import struct
import zlib
from pathlib import Path

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/bleu.json"
SWORD = Path("/usr/share/sword/modules/texts/ztext")


def genesis(module, count, first=4):
    """The first `count` verses of Genesis from a SWORD zText module, markup removed.
    (Index 0-3 of ot.bzv are the module, testament, book and chapter headings.)"""
    d = SWORD / module
    bzs, bzv, bzz = ((d / f"ot.{e}").read_bytes() for e in ("bzs", "bzv", "bzz"))
    blocks, out = {}, []
    for i in range(first, first + count):
        block, offset, size = struct.unpack("<IIH", bzv[i * 10:i * 10 + 10])
        if size == 0:  # chapter heading entries are empty
            continue
        if block not in blocks:
            start, length, _ = struct.unpack("<III", bzs[block * 12:block * 12 + 12])
            blocks[block] = zlib.decompress(bzz[start:start + length])
        text = blocks[block][offset:offset + size].decode("utf-8")
        text = re.sub(r"<[^>]*>", "", text).replace("¶", "")
        out.append(" ".join(text.split()))
    return out


def perturb(sentence, rng, vocabulary):
    """A plausible system output: words dropped, swapped, replaced, accents lost."""
    words = sentence.split()
    out = []
    for w in words:
        r = rng.random()
        if r < 0.07:
            continue                                  # dropped
        if r < 0.14:
            out.append(rng.choice(vocabulary))        # wrong word
            continue
        if r < 0.18:
            w = w.translate(str.maketrans("áéíóúñÁÉÍÓÚ", "aeiounAEIOU"))
        out.append(w)
        if r > 0.97:
            out.append(rng.choice(vocabulary))        # inserted word
    for _ in range(len(out) // 8):
        if len(out) > 1 and rng.random() < 0.5:
            i = rng.randrange(len(out) - 1)
            out[i], out[i + 1] = out[i + 1], out[i]   # local reordering
    return " ".join(out)


def bleu_json(hyps, refs):
    metric = BLEU()
    s = metric.corpus_score(hyps, refs)
    return {"score": s.score, "counts": list(s.counts), "totals": list(s.totals),
            "precisions": list(s.precisions), "bp": s.bp, "sys_len": s.sys_len,
            "ref_len": s.ref_len, "ratio": s.ratio,
            "signature": str(metric.get_signature()), "text": str(s)}


def chrf_json(hyps, refs):
    metric = CHRF()
    s = metric.corpus_score(hyps, refs)
    return {"score": s.score, "signature": str(metric.get_signature()), "text": str(s)}


def case(name, hyps, refs, tokenized=True):
    c = {"name": name, "hypotheses": hyps, "references": refs}
    if tokenized:
        tok = Tokenizer13a()
        c["tokenized"] = {"hypotheses": [tok(h) for h in hyps],
                          "references": [[tok(r) for r in stream] for stream in refs]}
    c["bleu"] = bleu_json(hyps, refs)
    c["chrf"] = chrf_json(hyps, refs)
    return c


def main():
    cases = [
        case("exact match", ["the cat sat on the mat .", "a quick brown fox jumps"],
             [["the cat sat on the mat .", "a quick brown fox jumps"]]),
        case("empty hypothesis", [""], [["the cat sat on the mat"]]),
        case("one empty line among others", ["the cat sat on the mat", "", "dogs bark loudly at night"],
             [["the cat sat on the mat", "a bird sings", "the dogs bark loudly at night"]]),
        case("shorter than the reference", ["the cat sat"], [["the cat sat on the red mat today"]]),
        case("no match at all", ["alpha beta gamma delta"], [["one two three four five"]]),
        case("fewer than four tokens", ["hello world"], [["hello world"]]),
        case("no 4-gram match (exp smoothing)", ["the cat sat on a mat by the door"],
             [["the cat sat upon a mat by a door"]]),
        case("two references", ["the cat is on the mat", "there is a dog in the garden"],
             [["the cat sat on the mat", "a dog is in the garden"],
              ["there is a cat on the mat", "there is a dog in the yard"]]),
        case("closest reference length ties go to the shorter",
             ["one two three four five six"],
             [["one two three four five"], ["one two three four five six seven"]]),
        case("punctuation, numbers, hyphens",
             ["It costs $3,000.50 (about 2,700 EUR) - a 12-year-old's e-mail said: \"yes!\"; really?",
              "Tom & Jerry &amp; friends &quot;quoted&quot; &lt;b&gt; <skipped> x-ray 1990-2000 3.14.",
              "end with period. And a comma, then 5. or 5.5, or .5 or 5,"],
             [["It costs $3,000.50 (around 2,700 EUR) - the 12-year-old's e-mail said: \"yes!\"; really?",
               "Tom & Jerry & friends \"quoted\" <b> x-ray 1990-2000 3.14.",
               "ends with a period. And a comma, then 5. or 5.5, or .5 or 5,"]]),
        case("Spanish and other Unicode",
             ["¿Dónde está el baño? ¡Allí, señor!", "El niño comió una manzana — dijo Ángel «hoy».",
              "cafe\u0301 and café differ in code points", "tab\tand\u00a0no-break\u2003em space  ",
              "emoji 👩‍👩‍👧 and ß Straße İstanbul"],
             [["¿Dónde está el baño? ¡Allí, señor!", "El niño se comió una manzana, dijo Ángel «hoy».",
               "café and café differ in code points", "tab and no-break em space",
               "emoji 👩‍👩‍👧 and ss Strasse Istanbul"]]),
    ]

    # Genesis: the Spanish verses are references, their perturbations the hypotheses; the
    # English verse is the "source" whose length buckets the BLEU of Bahdanau et al.'s Fig. 2.
    spanish = genesis("spaRV1909eb", 260)
    english = genesis("engKJV2006eb", 260)
    assert len(spanish) == len(english)
    rng = random.Random(12)
    es_vocab = sorted({w for v in spanish for w in v.split()})
    es_hyps = [perturb(v, rng, es_vocab) for v in spanish]
    cases.append(case("Genesis in Spanish, 260 verses", es_hyps, [spanish], tokenized=False))

    en = english[:80]
    en_vocab = sorted({w for v in en for w in v.split()})
    en_hyps = [perturb(v, rng, en_vocab) for v in en]
    en_ref2 = [perturb(v, rng, en_vocab) for v in en]
    cases.append(case("Genesis in English, two references, 80 verses", en_hyps, [en, en_ref2],
                      tokenized=False))

    # What `repro bleu HYP REF1 REF2` reads: raw bytes with CRLF, trailing blanks, a blank
    # line and no final newline.
    hyp_text = "the cat sat on the mat .  \r\nthere is a dog in the garden\n\n¿Dónde está? \t\nno newline at end"
    ref_texts = ["the cat sat on the mat.\nthere is a dog in the yard \r\n\nDónde está\nno newline at the end\n",
                 "a cat sat on the mat\r\nthe dog is in the garden\n\n¿Dónde está?\nno newline at end"]
    def lines(text):
        # sacrebleu.py: for line in open(f, newline="\n"): line.rstrip()
        parts = text.split("\n")
        if parts[-1] == "":
            parts.pop()
        return [p.rstrip() for p in parts]
    file_hyps, file_refs = lines(hyp_text), [lines(t) for t in ref_texts]
    file_case = {"hypothesis": hyp_text, "references": ref_texts,
                 "bleu": bleu_json(file_hyps, file_refs), "chrf": chrf_json(file_hyps, file_refs)}

    edges = [0, 10, 20, 30, 40, 50]
    source_lengths = [len(v.split()) for v in english]
    scores = []
    for lower, upper in zip(edges, edges[1:] + [None]):
        idx = [i for i, n in enumerate(source_lengths) if n >= lower and (upper is None or n < upper)]
        entry = {"lower": lower, "upper": upper, "sentences": len(idx)}
        if idx:
            entry["bleu"] = bleu_json([es_hyps[i] for i in idx], [[spanish[i] for i in idx]])
        scores.append(entry)
    buckets = {"source_lengths": source_lengths, "edges": edges, "scores": scores,
               "case": "Genesis in Spanish, 260 verses"}

    fixture = {"generator": f"sacrebleu {sacrebleu.__version__}",
               "sacrebleu_version": sacrebleu.__version__,
               "cases": cases, "file": file_case, "buckets": buckets}
    OUT.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB, {len(cases)} cases)")


if __name__ == "__main__":
    main()
