"""From a tagger's word, Penn Treebank tag and lemma to WordNet's lemma and POS, checked against WordNet 3.0.

No spaCy here: `index_builder.text` tags, this module decides what WordNet calls the result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from index_builder.inventory import CONTENT_POS, SenseInventory, normalise_lemma

# Open-class tags: the WordNet POS the tag names. A word WordNet lacks there takes another POS it has.
OPEN_TAGS = {
    **dict.fromkeys(("NN", "NNS", "NNP", "NNPS"), "NOUN"),
    **dict.fromkeys(("VB", "VBD", "VBG", "VBN", "VBP", "VBZ"), "VERB"),
    **dict.fromkeys(("JJ", "JJR", "JJS"), "ADJ"),
    **dict.fromkeys(("RB", "RBR", "RBS"), "ADV"),
}
# Closed-class tags with WordNet senses, tried in order and only these: particles are WordNet adverbs (give
# *up*), quantifiers and numbers its adjectives (SemCor tags "some", "all", "two" so). Determiners WordNet
# lacks ("the"), modals (MD: their senses, a tin can, a legal will, never fit), prepositions, pronouns and
# interjections get no POS.
CLOSED_TAGS = {"RP": ("ADV",), "DT": ("ADJ",), "PDT": ("ADJ", "ADV", "NOUN"), "CD": ("ADJ", "NOUN")}
# WordNet lists comparatives and superlatives with senses of their own (better, best, earlier) as lemmas.
DEGREE_TAGS = frozenset(("JJR", "JJS", "RBR", "RBS"))
# ... but SemCor's annotators use them only where they are common: a comparative or superlative is its own lemma
# when its sense-tagged count is at least this share of its base's (better: 100 of good's 256; larger: 52 of
# 141), else the base (higher: 11 of 204 -> high; earlier: 0 -> early). Chosen on SemCor's gold tags
# (`benchmarks/tagging_rules.py`).
DEGREE_SHARE = 0.1
# A word the tagger reads as an uninflected adverb is that adverb where WordNet has it ("further", not far;
# "best", not well), as SemCor annotates it. Chosen on SemCor per tag: only RB gains.
AS_WRITTEN_TAGS = frozenset(("RB",))


# Where a participle or a proper noun stands before a noun, after one of these tags (or first), WordNet and the
# sense-annotated corpora take it as an adjective: "the *increased* demand", "a *European* country". Chosen
# on SemCor's gold tags (the training corpus, not the evaluation sets): `benchmarks/tagging_rules.py`.
ATTRIBUTIVE_AFTER = {
    "VBN": frozenset(("", "DT", "PRP$", "POS", "JJ", "JJR", "JJS", "IN")),
    "VBG": frozenset(("", "DT", "PRP$", "POS", "JJ", "JJR", "JJS")),
    "NNP": None,  # after any tag
}
# A word asked about by name (a query's target, an evaluation instance) that the tagger reads with one of these
# function-word tags ("so", "after", "no", "there") is taken as the content word WordNet has: its adverb, else
# its POS with most senses. In SemCor such annotated words are that POS 72% of the time; determiners, pronouns
# and modals are never taken so (`benchmarks/tagging_rules.py` scores it).
TARGET_TAGS = frozenset(("IN", "UH", "FW", "CC", "EX"))
PUNCTUATION = "()[]{}/.,;:!?\"'*"  # stripped from a word WordNet lacks: cos() -> cos
# WordNet writes a phrase's pronoun as "oneself" or "one's": kept to himself -> keep_to_oneself, lost her
# temper -> lose_one's_temper.
GENERIC_PRONOUNS = {
    **dict.fromkeys(
        ("myself", "yourself", "himself", "herself", "itself", "ourselves", "themselves"), "oneself"
    ),
    **dict.fromkeys(("my", "your", "his", "her", "its", "our", "their"), "one's"),
}
# Symbols WordNet lacks, as the noun it has for them ("20 %" -> percent), as the evaluation sets annotate them.
SYMBOL_WORDS = {"%": "percent", "$": "dollar", "£": "pound", "€": "euro", "¥": "yen", "°": "degree"}


class WordTag(NamedTuple):
    lemma: str  # WordNet's spelling when WordNet knows the word; else the tagger's lemma, lower-cased
    pos: str | None  # NOUN, VERB, ADJ, ADV or None
    is_content: bool  # WordNet has senses for (lemma, pos)


@lru_cache(maxsize=1)
def inventory() -> SenseInventory:
    """The WordNet inventory that lemmas and POS are checked against (one per process)."""
    return SenseInventory()


def knows(lemma: str, pos: str) -> bool:
    return bool(lemma.strip()) and bool(inventory().senses(lemma, pos))


@lru_cache(maxsize=65536)
def _tag_count(lemma: str, pos: str) -> int:
    return inventory().tag_count(lemma, pos)


def spellings(form: str) -> list[str]:
    """The form and WordNet's other spellings of a compound (words joined by '_', '-' or nothing:
    'paper work' -> paperwork, 'anti-cancer' -> anticancer), or of an abbreviation without its period."""
    parts = [part for part in re.split(r"[\s_-]+", form) if part]
    variants = [form]
    if len(parts) > 1:
        variants += ["_".join(parts), "-".join(parts), "".join(parts)]
    if len(form) > 1 and form.endswith("."):
        variants.append(form[:-1])
    return list(dict.fromkeys(variants))


def wordnet_lemma(word: str, tagger_lemma: str, pos: str, tag: str = "") -> str | None:
    """The lemma WordNet knows under `pos` for a word, or None.

    Candidates are the word and WordNet's morphology of it (in each compound spelling), else the tagger's
    lemma likewise (for compounds of inflected words: took place -> take_place); several are ranked by
    WordNet's tag counts (hoped -> hope, not hop), then `_tie_break`. An abbreviation WordNet knows as written
    is that lemma (`_abbreviation`); an adverb as written: `AS_WRITTEN_TAGS`; a comparative or superlative:
    `DEGREE_SHARE`.
    """
    own = normalise_lemma(word)
    if (abbreviation := _abbreviation(own, pos)) is not None:
        return abbreviation
    candidates = _known_forms(word, pos) or _known_forms(tagger_lemma, pos)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    if tag in AS_WRITTEN_TAGS and own in candidates:
        return own
    preferred = normalise_lemma(tagger_lemma)
    best = max(candidates, key=lambda lemma: (_tag_count(lemma, pos), *_tie_break(lemma, own, preferred)))
    if tag in DEGREE_TAGS and own in candidates and own != best:
        return own if _tag_count(own, pos) >= DEGREE_SHARE * _tag_count(best, pos) else best
    return best


def _tie_break(lemma: str, own: str, preferred: str) -> tuple[bool, ...]:
    """Between lemmas of equal tag counts: the word as written (tears, not tear: SemCor's choice), then the
    tagger's lemma."""
    return lemma == own, lemma == preferred


def _abbreviation(lemma: str, pos: str) -> str | None:
    """An abbreviation WordNet knows as written is that lemma (No. -> no., not the word no; Calif. -> calif.,
    not the caliph), without its period where WordNet spells it so for exactly the same synsets (Mr. -> mr), as
    SemCor writes fig and cm; None for a word that is not such an abbreviation."""
    if not lemma.endswith(".") or not knows(lemma, pos):
        return None
    bare = lemma[:-1]
    synsets = {sense.synset for sense in inventory().senses(lemma, pos)}
    same = knows(bare, pos) and {sense.synset for sense in inventory().senses(bare, pos)} == synsets
    return bare if same else lemma


def _known_forms(form: str, pos: str) -> list[str]:
    """The form's spellings that WordNet knows under `pos`, and their WordNet morphology."""
    found: list[str] = []
    for spelling in spellings(form):
        if knows(spelling, pos):
            found.append(normalise_lemma(spelling))
        found.extend(inventory().bases(spelling, pos))
    return list(dict.fromkeys(found))


def _most_senses(found: dict[str, str]) -> str:
    """The POS under which WordNet has the most senses of its lemma in `found` ({pos: lemma})."""
    return max(found, key=lambda pos: len(inventory().senses(found[pos], pos)))


def _best_known(word: str, tagger_lemma: str, preferred: str | None = None) -> WordTag | None:
    """The lemma WordNet knows for a word under the `preferred` POS where it has one there, else under the POS
    with the most senses; None where WordNet knows the word under no POS."""
    found = {pos: lemma for pos in CONTENT_POS if (lemma := wordnet_lemma(word, tagger_lemma, pos))}
    if not found:
        return None
    pos = preferred if preferred in found else _most_senses(found)
    return WordTag(found[pos], pos, True)


@lru_cache(maxsize=65536)
def resolve_word(word: str, tag: str, tagger_lemma: str) -> WordTag:
    """WordNet's lemma and POS for one tagged word.

    An open-class word WordNet lacks under its tag's POS takes the POS under which WordNet has the most senses
    of it (a participle as an adjective, a gerund as a noun); one WordNet lacks everywhere keeps the tag's POS.
    A symbol is the noun WordNet has for it (`SYMBOL_WORDS`), whatever its tag.
    """
    if word in SYMBOL_WORDS:
        return WordTag(SYMBOL_WORDS[word], "NOUN", True)
    fallback = normalise_lemma(tagger_lemma) or word
    options = (OPEN_TAGS[tag],) if tag in OPEN_TAGS else CLOSED_TAGS.get(tag, ())
    for pos in options:
        lemma = wordnet_lemma(word, tagger_lemma, pos, tag)
        if lemma:
            return WordTag(lemma, pos, True)
    if tag not in OPEN_TAGS:
        return WordTag(fallback, None, False)
    return (
        _best_known(word, tagger_lemma)
        or _known_part(word, OPEN_TAGS[tag])
        or WordTag(fallback, OPEN_TAGS[tag], False)
    )


def _known_part(word: str, pos: str) -> WordTag | None:
    """For a word WordNet lacks everywhere: the word without surrounding punctuation ('cos()' -> cos), else the
    first of alternatives joined by a slash ('districts/states' -> district), else a hyphenated word with its
    first part's base form ('highest-pitched' -> high-pitched), else its first part ('benefit-seeking' ->
    benefit), as the evaluation sets annotate them; under `pos` where WordNet has the part there, else under
    the POS with most senses."""
    core = word.strip(PUNCTUATION)
    parts = [core] if core and core != word else []
    if "/" in core:
        parts.append(core.split("/")[0])
    elif "-" in core.strip("-"):
        first, rest = core.strip("-").split("-", 1)
        parts += [*_based_compounds(first, rest), first]
    return next((known for part in parts if (known := _best_known(part, part, pos))), None)


def _based_compounds(first: str, rest: str) -> list[str]:
    """A hyphenated word with its inflected first part as WordNet's base forms of it: highest, pitched ->
    [high-pitched] (WordNet lists such compounds under the base form, and its morphology does not reach them)."""
    bases = dict.fromkeys(base for pos in CONTENT_POS for base in inventory().bases(first.lower(), pos))
    return [f"{base}-{rest}" for base in bases if base != first.lower()]


def resolve_in_context(word: str, tag: str, tagger_lemma: str, before: str, after: str) -> WordTag:
    """`resolve_word`, except that a participle or proper noun used attributively (see `ATTRIBUTIVE_AFTER`;
    `before` and `after` are the neighbouring words' tags, '' at an edge) is the adjective WordNet has."""
    after_tags = ATTRIBUTIVE_AFTER.get(tag, frozenset())
    if after.startswith("NN") and (after_tags is None or before in after_tags) and knows(word, "ADJ"):
        lemma = wordnet_lemma(word, tagger_lemma, "ADJ")
        if lemma:
            return WordTag(lemma, "ADJ", True)
    return resolve_word(word, tag, tagger_lemma)


def compound(
    lemmas: Sequence[str], forms: Sequence[str], gaps: Sequence[str], head_pos: str | None
) -> WordTag:
    """WordNet's lemma and POS for several adjacent words taken as one ("took place" -> take_place, VERB).

    `gaps` join the words ('_' where the text has a space, '' where it has none, as in 'mother-in-law'). The
    POS is the head word's (`head_pos`) when WordNet knows the compound there, else the one with most senses.
    A compound WordNet lacks as written is tried with its pronouns as WordNet writes them (`GENERIC_PRONOUNS`).
    """

    def join(words: Sequence[str]) -> str:
        return "".join(w + g for w, g in zip(words, [*gaps, ""], strict=True))

    literal = join(forms), join(lemmas)
    generic = tuple(join([GENERIC_PRONOUNS.get(w, w) for w in words]) for words in (forms, lemmas))
    found = _best_known(*literal, head_pos) or (generic != literal and _best_known(*generic, head_pos))
    return found or WordTag(normalise_lemma(literal[1]), head_pos, False)


def as_target(word: str, tag: str, tagger_lemma: str) -> WordTag | None:
    """The content word WordNet has for a function word asked about by name (see `TARGET_TAGS`), or None."""
    return _best_known(word, tagger_lemma, "ADV") if tag in TARGET_TAGS else None
