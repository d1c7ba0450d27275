"""Sentence texts for SynthTalk, and text normalisation for forced alignment.

- :func:`generate_sentences` writes English sentences from templates and a small word list
  written for this project (no copyrighted text). Every sentence has a bilabial /p b m/, a
  labiodental /f v/, a rounded vowel or /w/ and an open vowel, because those are the
  mouth shapes a talking face must show. Deterministic for a seed.
- :func:`sentence_plan` lays out ``subjects × sentences`` the way VOCASET does: a few
  sentences every subject says, the rest each subject's own; real transcripts (e.g. the
  asterisk prompts) can be mixed in.
- :func:`words_for_alignment` turns any transcript into the lower-case words a
  pronouncing dictionary knows: numbers spelled out, ``#`` → "pound", ``*`` → "star"…
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

# --- word list (written for this project) ----------------------------------------------
# Each list leans on one group of mouth shapes; templates draw one word from each.
NAMES = (
    "Bob",
    "Pam",
    "Mabel",
    "Ben",
    "Molly",
    "Paul",
    "Abby",
    "Max",
    "Ruby",
    "Amber",
    "Robin",
    "Bernie",
    "Maya",
    "Pablo",
    "Vivian",
    "Fiona",
    "Olivia",
    "Owen",
    "Noah",
    "Laura",
    "Maria",
    "Oscar",
    "Walter",
    "Ivy",
    "Theo",
    "Judy",
    "Harvey",
    "Sophie",
    "Zoe",
    "George",
    "Chloe",
    "Martha",
    "Simon",
    "Wanda",
    "Felix",
    "Nora",
    "Hugo",
    "Tommy",
    "Rosa",
    "Arthur",
)
BILABIAL_NOUNS = (
    "map",
    "box",
    "pen",
    "boat",
    "lamp",
    "pipe",
    "bell",
    "broom",
    "pebble",
    "blanket",
    "bottle",
    "mop",
    "puppet",
    "pumpkin",
    "bucket",
    "mirror",
    "pillow",
    "paper",
    "basket",
    "bench",
    "piano",
    "parcel",
    "mitten",
    "backpack",
    "bicycle",
    "compass",
    "teapot",
    "badge",
)
LABIODENTAL_ADJECTIVES = (
    "five",
    "fresh",
    "vivid",
    "heavy",
    "soft",
    "velvet",
    "violet",
    "fancy",
    "flat",
    "fluffy",
    "brave",
    "vast",
    "fine",
    "faded",
    "festive",
    "careful",
    "lovely",
    "swift",
    "silver",
    "favorite",
    "fragile",
    "fearless",
    "frozen",
    "vintage",
    "useful",
    "woven",
)
ROUNDED_NOUNS = (
    "moon",
    "rope",
    "wool",
    "shoe",
    "spoon",
    "goose",
    "stove",
    "coat",
    "boot",
    "window",
    "wagon",
    "toy",
    "road",
    "rowboat",
    "hook",
    "book",
    "cookie",
    "flute",
    "cushion",
    "robe",
    "bowl",
    "hoop",
    "spool",
    "tulip",
    "oyster",
    "poodle",
    "globe",
    "snowman",
)
OPEN_PLACES = (
    "park",
    "barn",
    "garden",
    "yard",
    "castle",
    "cabin",
    "market",
    "harbor",
    "island",
    "valley",
    "house",
    "tower",
    "attic",
    "bazaar",
    "farm",
    "palace",
    "ranch",
    "lobby",
    "parlor",
    "cottage",
    "pantry",
    "factory",
    "garage",
    "lighthouse",
)
VERBS = (  # (base, past)
    ("pack", "packed"),
    ("move", "moved"),
    ("buy", "bought"),
    ("find", "found"),
    ("wash", "washed"),
    ("carry", "carried"),
    ("drop", "dropped"),
    ("fix", "fixed"),
    ("paint", "painted"),
    ("push", "pushed"),
    ("pull", "pulled"),
    ("fold", "folded"),
    ("show", "showed"),
    ("throw", "threw"),
    ("open", "opened"),
    ("borrow", "borrowed"),
    ("polish", "polished"),
    ("measure", "measured"),
    ("wrap", "wrapped"),
    ("hide", "hid"),
    ("bring", "brought"),
    ("choose", "chose"),
    ("judge", "judged"),
    ("weigh", "weighed"),
)
PREPOSITIONS = (
    "near",
    "behind",
    "beside",
    "under",
    "outside",
    "across",
    "through",
    "inside",
    "around",
    "above",
    "below",
    "beyond",
)
TIMES = (
    "every morning",
    "before lunch",
    "after the movie",
    "on Monday",
    "at noon",
    "in the autumn",
    "yesterday",
    "at dawn",
    "quite slowly",
    "with a smile",
    "just in time",
    "on Thursday evening",
    "before the storm",
    "after supper",
    "twice a week",
    "last July",
)
FOODS = (
    "warm bread",
    "fresh soup",
    "baked apples",
    "plum jam",
    "coffee",
    "maple syrup",
    "oatmeal",
    "blueberries",
    "popcorn",
    "vanilla",
    "roast potatoes",
    "orange peel",
)
RELATIVES = ("mother", "father", "brother", "grandma", "uncle", "aunt", "cousin", "neighbor")

# Every template holds a {bnoun} (or a fixed bilabial word: "My", "by", "Nobody"), an
# {adj}, a {rnoun} (or "walked", "We") and a {place}, so every sentence has all four groups.
TEMPLATES = (
    "{name} {past} the {adj} {rnoun} {prep} the {bnoun} in the {place}.",
    "Did {name} {base} the {adj} {bnoun} and the {rnoun} {prep} the {place}?",
    "The {adj} {bnoun} was {prep} the {rnoun} in the {place} {time}.",
    "{name} and {name2} {past} a {adj} {rnoun} and a {bnoun} {prep} the old {place}.",
    "Please put the {rnoun} and the {adj} {bnoun} {prep} the {place} before {name} comes home.",
    "My {relative} says the {rnoun} from the {place} feels {adj}.",
    "Why would {name} leave a {adj} {rnoun} by the {place}?",
    "{Time}, {name} {past} the {adj} {bnoun} and walked to the {place}.",
    "How often does {name} {base} the {rnoun} {prep} the {place} with a {adj} {bnoun}?",
    "If the {bnoun} is {adj}, {name} will {base} it to the {place} with the {rnoun}.",
    "Nobody knew why the {adj} {rnoun} {prep} the {place} smelled of {food}.",
    "We {past} {food} and a {adj} {bnoun} to the {place} {time}.",
    "Only {name} could {base} the {adj} {rnoun} from the {place} to the {bnoun}.",
    "The {place} was full of {food}, so {name} {past} the {rnoun} and the {adj} {bnoun} outside.",
)


def generate_sentences(count: int, *, seed: int = 0, exclude: Sequence[str] = ()) -> list[str]:
    """``count`` distinct template sentences, the same list for the same seed.

    ``exclude``: sentences not to produce (e.g. those already in use).
    """
    rng = random.Random(f"selftalk-sentences-{seed}")
    seen = set(exclude)
    out: list[str] = []
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > 1000 * (count + 10):
            raise RuntimeError(f"could not generate {count} distinct sentences")
        sentence = _fill(rng.choice(TEMPLATES), rng)
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
    return out


def _fill(template: str, rng: random.Random) -> str:
    name, name2 = rng.sample(NAMES, 2)
    base, past = rng.choice(VERBS)
    time = rng.choice(TIMES)
    words = {
        "name": name,
        "name2": name2,
        "base": base,
        "past": past,
        "time": time,
        "Time": time[0].upper() + time[1:],
        "adj": rng.choice(LABIODENTAL_ADJECTIVES),
        "bnoun": rng.choice(BILABIAL_NOUNS),
        "rnoun": rng.choice(ROUNDED_NOUNS),
        "place": rng.choice(OPEN_PLACES),
        "prep": rng.choice(PREPOSITIONS),
        "food": rng.choice(FOODS),
        "relative": rng.choice(RELATIVES),
    }
    return template.format(**words)


def sentence_plan(
    n_subjects: int,
    n_sentences: int,
    *,
    seed: int = 0,
    shared: int = 5,
    transcripts: Sequence[str] = (),
    transcript_share: float = 0.25,
) -> list[list[str]]:
    """Texts for ``n_subjects`` × ``n_sentences``, as VOCASET lays them out.

    The first ``shared`` sentences are the same for every subject; the others are the
    subject's own (no two subjects share them). About ``transcript_share`` of each
    subject's own sentences are drawn from ``transcripts`` (real prompts, e.g.
    :func:`selftalk.synth.speech.recorded.transcripts`) while they last; the rest are
    generated. Returns one list of ``n_sentences`` distinct texts a subject.
    """
    if n_subjects < 1 or n_sentences < 1:
        raise ValueError("n_subjects and n_sentences must be positive")
    shared = max(0, min(shared, n_sentences))
    own = n_sentences - shared
    rng = random.Random(f"selftalk-plan-{seed}")
    pool = [t for t in dict.fromkeys(" ".join(t.split()) for t in transcripts) if t]
    rng.shuffle(pool)
    n_real = min(len(pool), round(own * transcript_share) * n_subjects)
    per_subject_real = n_real // n_subjects
    real = pool[: per_subject_real * n_subjects]
    generated = generate_sentences(
        shared + n_subjects * (own - per_subject_real), seed=seed, exclude=real
    )
    common, generated = generated[:shared], generated[shared:]
    plan = []
    for s in range(n_subjects):
        mine = real[s * per_subject_real : (s + 1) * per_subject_real]
        k = own - per_subject_real
        mine = mine + generated[s * k : (s + 1) * k]
        rng.shuffle(mine)
        plan.append(common + mine)
    return plan


# --- normalisation for alignment -------------------------------------------------------
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINAL = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_SYMBOLS = {
    "#": " pound ",
    "*": " star ",
    "&": " and ",
    "%": " percent ",
    "+": " plus ",
    "@": " at ",
    "=": " equals ",
}


def spell_number(n: int) -> str:
    """Cardinal English words for 0 <= n < 10**12 (``1205`` → "one thousand two hundred five").

    Hand-written (a few lines) rather than a dependency: transcripts only need cardinals
    and ordinals.
    """
    if n < 0:
        return "minus " + spell_number(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for size, word in _SCALES:
        if n >= size:
            head = spell_number(n // size) + " " + word
            return head if n % size == 0 else head + " " + spell_number(n % size)
    raise AssertionError("unreachable")


def spell_ordinal(n: int) -> str:
    """Ordinal words (``21`` → "twenty first")."""
    words = spell_number(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def spoken_form(text: str) -> str:
    """``text`` as it is said: notes ([beep], (silence), <tone>) dropped, numbers spelled,
    symbols named; the rest (case, punctuation) is left to the caller.

    ``"Press 1, then #."`` → ``"Press  one , then  pound ."``
    """
    text = text.replace("’", "'")
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>", " ", text)  # notes: [beep], (silence), <tone>
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)  # 1,000 → 1000
    text = re.sub(
        r"\b(\d+)(st|nd|rd|th)\b", lambda m: " " + spell_ordinal(int(m.group(1))) + " ", text
    )
    text = re.sub(r"(\d+)\.(\d+)", lambda m: f" {m.group(1)} point {' '.join(m.group(2))} ", text)
    return re.sub(r"\d+", lambda m: " " + spell_number(int(m.group())) + " ", text)


def words_for_alignment(text: str) -> list[str]:
    """Lower-case words of ``text`` as spoken: numbers spelled, symbols named, punctuation gone.

    ``"Press 1, then #."`` → ["press", "one", "then", "pound"]; ``"3D"`` → ["three", "d"];
    ``"21st"`` → ["twenty", "first"]; apostrophes inside words stay ("party's"); a hyphen
    splits words (the aligner's dictionary has no hyphenated entries).
    """
    text = spoken_form(text)
    words = []
    for token in re.split(r"[^A-Za-z']+", text):
        token = token.strip("'").lower()
        if token:
            words.append(token)
    return words
