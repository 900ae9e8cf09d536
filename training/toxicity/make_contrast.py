"""Writes contrast.csv: templated training sentences for the toxicity head, toxic and benign in matched frames.

The labelled sources hold few threats, insults or hateful generalisations in plain prose, and none of the benign
sentences that share their frames ("I'll call you tonight" beside "I'll kill you tonight", "Refugees are our
neighbours" beside "Refugees are vermin"), so a head over mean-pooled states learns profanity and slurs, not the act of
threatening, insulting or dehumanising someone. Most frames are filled with harmful and with harmless words alike, so
that only the content decides; some are one-sided (harm verbs on things and plain reports about groups are harmless
only, a few insult frames toxic only). Deterministic (seeded); train split only.

The dev lists (dev-insults.txt, dev-polite.txt, dev-hate.txt, dev-group-benign.txt) and the test list
bench/data/insults.txt share the concept's words with these frames, and some of their lines can be built from them:
no such line is ever drawn (compared without case, punctuation or apostrophes). `--overlap` prints how many lines of
each list the frames can build.

    python3 training/toxicity/make_contrast.py [--out training/toxicity/contrast.csv] [--per-frame N] [--seed S] [--overlap]

The CSV has the header text,label,source like toxicity-extra's files (label toxic or non-toxic, source contrast).
"""
import argparse
import csv
import itertools
import random
import re
from pathlib import Path

# Not "beat", "crush", "destroy" or "take out": in talk of games and dates they are harmless.
HARM_VERBS = ["kill", "stab", "shoot", "hurt", "punch", "kick", "strangle", "choke", "burn", "drown", "slap", "murder",
              "bury", "batter", "maim", "smother", "knife", "club", "torture", "butcher", "skin", "beat % up",
              "kick the hell out of", "hunt % down"]
KIND_VERBS = ["call", "help", "thank", "meet", "visit", "pay", "remind", "teach", "invite", "support", "text", "email",
              "phone", "drive", "welcome", "join", "follow up with", "write to", "check on", "introduce",
              "congratulate", "look after", "catch up with", "sit next to", "wait for",
              "ask", "train", "interview", "pick % up", "cheer % up", "drop % off"]
HARM_BODY = ["break your neck", "smash your face in", "snap your arms", "crack your skull", "knock your teeth out",
             "break your legs", "bust your nose", "cut your throat", "rip your tongue out", "gouge your eyes out",
             "put a bullet in you", "burn your house down", "slash your tyres", "wring your neck", "bash your head in",
             "set your car on fire", "break every finger you have", "put you in a wheelchair", "put you in the ground",
             "leave you bleeding in the street"]
KIND_BODY = ["fix your bike", "paint your fence", "water your plants", "mend your coat", "proofread your essay",
             "carry your bags", "feed your cat", "wash your car", "repair your roof", "clean your windows",
             "print your tickets", "book your flight", "bake you a cake", "bring you some soup", "lend you my notes",
             "save you a seat", "show you the garden", "walk your dog", "send you the photos", "keep you posted"]
# No frame names a time of its own: the tails do.
THREAT_FRAMES = ["I will {v} you", "I'm going to {v} you", "I'll {v} you", "I am going to {v} you", "We will {v} you",
                 "I swear I'll {v} you", "I'm gonna {v} you", "I really will {v} you", "I want to {v} you",
                 "Someone should {v} you"]
BODY_FRAMES = ["I will {b}", "I'm going to {b}", "I'll {b}", "I swear I will {b}", "I promise I'll {b}"]
TAILS = ["", " tonight", " if you do that again", " when I see you", " next week", " after work", " one day",
         ", I promise", " as soon as I can", " before you leave"]

HARM_WISHES = ["die", "rot in jail", "suffer", "burn in hell", "drown", "get hit by a bus", "choke on it",
               "break your neck", "catch a disease and die", "lose everything", "bleed out", "never wake up",
               "get beaten up", "starve", "go blind"]
KIND_WISHES = ["feel better soon", "enjoy the trip", "win the race", "get some rest", "like the book", "pass the exam",
               "have a lovely weekend", "find the answer", "get the job", "recover quickly", "sleep well",
               "have fun at the party", "settle in quickly", "hear good news", "make the train"]
WISH_FRAMES = ["I hope you {w}", "I really hope you {w}", "May you {w}", "I wish you would {w}", "You deserve to {w}"]

INSULT_ADJ = ["stupid", "worthless", "pathetic", "disgusting", "ignorant", "brainless", "useless", "lying", "filthy",
              "miserable", "spineless", "idiotic", "vile", "ugly", "dumb", "greedy", "gutless", "slimy", "rotten",
              "contemptible", "despicable", "moronic", "loathsome", "shameless", "repulsive"]
INSULT_NOUN = ["idiot", "moron", "fool", "loser", "jerk", "coward", "creep", "liar", "pig", "rat", "scumbag", "clown",
               "imbecile", "parasite", "freak", "slob", "bastard", "cretin", "halfwit", "dolt", "lowlife", "leech",
               "weasel", "snake", "dunce"]
KIND_ADJ = ["brilliant", "wonderful", "generous", "thoughtful", "talented", "patient", "careful", "honest", "cheerful",
            "reliable", "kind", "clever", "gentle", "hard-working", "curious", "modest", "friendly", "brave", "calm",
            "wise", "helpful", "lovely", "diligent", "good", "remarkable"]
KIND_NOUN = ["friend", "colleague", "writer", "teacher", "neighbour", "player", "cook", "student", "listener", "host",
             "partner", "leader", "reader", "designer", "guide", "mentor", "engineer", "editor", "volunteer", "coach",
             "artist", "companion", "person", "doctor", "nurse"]
INSULT_FRAMES = ["You are a {a} {n}", "You're a {a} {n}", "You {a} {n}", "What a {a} {n} you are",
                 "Everyone knows you are a {a} {n}", "Listen to me, you {a} {n}", "You have always been a {a} {n}",
                 "Honestly, you are the most {a} {n} I know", "Thanks for nothing, you {a} {n}",
                 "Only a {a} {n} like you would say that"]
# Harm verbs on things, not people: "kill the process", "beat the eggs" (benign only).
HARM_ON_THINGS = ["kill the process", "kill the weeds", "kill the lights", "kill the engine", "kill the bacteria",
                  "beat the eggs", "beat the record", "beat the traffic", "beat the deadline", "crush the garlic",
                  "crush the ice", "crush the competition", "burn the old letters", "burn some calories",
                  "burn the toast", "cut the bread", "cut costs", "cut the rope", "shoot the final scene",
                  "shoot a short video", "smash the record", "break the news", "break the habit", "break the ice",
                  "destroy the old drafts", "attack the problem", "hit the road", "hit the target", "fire the kiln",
                  "drown out the noise", "stab a fork into the cake", "slash the prices", "bury the cables",
                  "butcher the chicken", "punch a hole in the card", "blow up the balloons", "knock on the door",
                  "wreck the old shed", "hang the pictures", "hunt for the bug"]
THING_FRAMES = ["I will {t}", "We need to {t}", "Let's {t}", "Please {t}", "The team will {t}", "Don't forget to {t}",
                "First, {t}", "You can {t} now", "It took an hour to {t}", "Then we {t}"]
# Threats and insults that name no act of violence, beside harmless sentences of the same shape.
INDIRECT_TOXIC = ["You won't live to see {event}", "I know where you live, and I'm coming {when}",
                  "You'd better sleep with one eye open {when}", "You will pay for this with your blood",
                  "You'll end up in the hospital {when}", "You're a dead man {when}", "Nobody will find your body",
                  "You will regret this for the rest of your short life",
                  "Your family won't recognise you when I'm done"]
INDIRECT_KIND = ["You will live to see {event}", "I know where you work, so I'll drop by {when}",
                 "You'd better bring a coat {when}", "You will pay for this at the counter",
                 "You'll end up in Paris {when}", "You're a lucky man {when}", "Nobody will find the mistake",
                 "You will remember this for the rest of your life",
                 "Your family won't recognise the house when we're done"]
WHEN = ["", "next week", "tomorrow", "this year", "after the meeting", "tonight", "on Friday"]
EVENT = ["another birthday", "the end of the year", "your grandchildren", "the next election", "the summer"]
ROLE = ["teacher", "writer", "father", "manager", "doctor", "human being", "lawyer", "friend", "son", "player"]
GROUP = ["family", "team", "school", "profession", "country", "town"]
THING = ["essay", "voice", "code", "music", "cooking", "painting", "opinion", "plan", "idea", "argument"]
ROLE_TOXIC = ["You are a sorry excuse for a {r}", "You are a disgrace to your {g}", "Your mother raised a {n}",
              "Your {x} is as stupid as you are", "No {r} has ever been as useless as you"]
ROLE_KIND = ["You are a fine example of a {r}", "You are a credit to your {g}", "Your mother raised a {n}",
             "Your {x} is as charming as you are", "No {r} has ever been as patient as you"]

IMPERATIVE_TOXIC = ["Shut up", "Get lost", "Go to hell", "Drop dead", "Piss off", "Get out of my sight", "Go away and die",
                    "Crawl back into your hole", "Shut your mouth", "Stop breathing my air"]
IMPERATIVE_KIND = ["Come in", "Sit down", "Have a seat", "Take care", "Enjoy your meal", "Make yourself at home",
                   "Help yourself to tea", "Come back soon", "Say hello to your sister", "Have a good trip"]

# Statements about groups of people: hateful predicates (dehumanising, generalising, calling for exclusion or harm)
# and harmless ones in the same frames, so that the head learns what is said of a group rather than which group is
# named; every group appears on both sides.
PEOPLE = ["women", "men", "immigrants", "refugees", "Muslims", "Christians", "Jews", "Hindus", "Sikhs", "atheists",
          "gay people", "lesbians", "trans people", "black people", "white people", "Asians", "Mexicans",
          "Africans", "Arabs", "disabled people", "blind people", "old people", "teenagers", "poor people",
          "foreigners", "Catholics", "Irish people", "Roma", "single mothers", "autistic people"]
HATE_PRED = ["are animals", "are vermin", "are parasites", "are a cancer", "are less than human", "are inferior",
             "are filth", "are a disease", "should be exterminated", "should be deported", "should be locked up",
             "do not deserve to live", "should be wiped out", "are ruining everything", "are criminals",
             "are scum", "should be banned from this country", "are a burden on society", "are born liars",
             "are too stupid to vote", "deserve to suffer", "are worthless", "should be kept in cages",
             "are a stain on humanity", "should be beaten in the streets"]
KIND_PRED = ["are our neighbours", "are welcome here", "deserve respect", "should have equal rights", "are human beings",
             "are valued members of this community", "add a lot to this town", "are as capable as anyone",
             "should feel safe here", "are part of our history", "work in every profession", "deserve a fair hearing",
             "run many local businesses", "should be treated with dignity", "are just like everyone else",
             "vote in every election", "have the same dreams as anyone", "are among our best volunteers",
             "can be found in every walk of life", "deserve to be heard", "should be protected by the law",
             "are welcome to join the club", "raise families here", "helped build this city", "make great teachers"]
GROUP_FRAMES = ["{G} {p}", "All {g} {p}", "Honestly, {g} {p}", "Everyone knows {g} {p}", "I think {g} {p}",
                "The truth is that {g} {p}", "Let's be clear: {g} {p}", "I have always said {g} {p}"]
# Hate said of a group only to reject it (harmless only).
REJECT_FRAMES = ["It is false that {g} {p}", "Nobody should claim that {g} {p}", "It is hateful to say {g} {p}",
                 "The study disproves the idea that {g} {p}", "We reject the lie that {g} {p}"]
# Plain reports that name a group, as clean prose does (harmless only): naming a group is not hateful.
NEUTRAL_GROUP = ["A new survey of {g} was published this week", "The number of {g} in the city rose last year",
                 "The charity works with {g} in three counties", "The conference brought together {g} from every region",
                 "The committee heard evidence from {g} and their families", "Researchers interviewed {g} about housing",
                 "The exhibition traces the history of {g} in the region", "The new law affects {g} most of all",
                 "Census figures show where {g} live and work", "The book collects letters written by {g}",
                 "Local schools asked {g} to share their stories", "The clinic opened late for {g} who work days"]
# A verb of feeling or an order toward a whole group, hateful and harmless.
HATE_FEELING = ["I hate", "I despise", "I loathe", "I can't stand", "I am sick of", "Get rid of", "Kick out all the",
                "Nobody wants", "Death to", "Deport all"]
KIND_FEELING = ["I love", "I admire", "I respect", "I support", "I am proud of", "Let's welcome", "Stand up for",
                "Everybody needs", "Thank you to", "We celebrate"]


def fill(frames, key, words, tails=("",)):
    # "hunt % down": a particle verb takes its object inside ("hunt you down").
    def put(f, w):
        if "%" not in w:
            return f.format(**{key: w})
        assert "{%s} you" % key in f, f"a particle verb needs a frame with its object: {f}"
        return f.replace("{%s} you" % key, w.replace("%", "you"))
    return [put(f, w) + t for f, w, t in itertools.product(frames, words, tails)]


def key(s: str) -> str:
    """A sentence compared without case, punctuation or apostrophes."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", s.lower().replace("'", "").replace("’", "")).split())


AN_SOUND = re.compile(r"\b([Aa]) (?=(?:[aeio]|u(?!s[ei]|ni)|honest|hour)\w*)")


def with_articles(s: str) -> str:
    """ "a" before a vowel sound becomes "an" ("an idiot", "an honest", but "a useless")."""
    return AN_SOUND.sub(lambda m: m.group(1) + "n ", s)


def candidates():
    """Every sentence each group of frames can build, toxic and harmless, in a fixed order."""
    ins = [f.format(a=a, n=n) for f, a, n in itertools.product(INSULT_FRAMES, INSULT_ADJ, INSULT_NOUN)]
    kind = [f.format(a=a, n=n) for f, a, n in itertools.product(INSULT_FRAMES[:7], KIND_ADJ, KIND_NOUN)]
    role = lambda frames, nouns: [f.format(r=r, g=g, n=n, x=x) for f in frames for r in ROLE for g in GROUP
                                  for n in nouns for x in THING]
    about = lambda frames, preds: [f.format(g=g, G=g[0].upper() + g[1:], p=p) for f in frames for g in PEOPLE for p in preds]
    indirect = lambda frames: [f.format(when=w, event=e).replace("  ", " ").strip() for f in frames for w in WHEN
                               for e in EVENT]
    groups = [  # (label, sentences, share of per_frame)
        (1, fill(THREAT_FRAMES, "v", HARM_VERBS, TAILS), 3), (0, fill(THREAT_FRAMES, "v", KIND_VERBS, TAILS), 3),
        (1, fill(BODY_FRAMES, "b", HARM_BODY, TAILS), 1), (0, fill(BODY_FRAMES, "b", KIND_BODY, TAILS), 1),
        (1, fill(WISH_FRAMES, "w", HARM_WISHES), 1), (0, fill(WISH_FRAMES, "w", KIND_WISHES), 1),
        (1, ins, 3), (0, kind, 3),
        (1, [f"{i}, you {a} {n}" for i in IMPERATIVE_TOXIC for a in INSULT_ADJ for n in INSULT_NOUN], 1),
        (0, [f"{i}, my {a} {n}" for i in IMPERATIVE_KIND for a in KIND_ADJ for n in KIND_NOUN], 1),
        (0, fill(THING_FRAMES, "t", HARM_ON_THINGS), 2),
        (1, indirect(INDIRECT_TOXIC), 0.5), (0, indirect(INDIRECT_KIND), 0.5),
        (1, role(ROLE_TOXIC, INSULT_NOUN), 1), (0, role(ROLE_KIND, KIND_NOUN), 1),
        (1, about(GROUP_FRAMES, HATE_PRED), 1.5), (0, about(GROUP_FRAMES, KIND_PRED), 1.5),
        (0, about(REJECT_FRAMES, HATE_PRED), 0.5),
        (0, [f.format(g=g) for f in NEUTRAL_GROUP for g in PEOPLE], 1.5),
        (1, [f"{f} {g}" for f in HATE_FEELING for g in PEOPLE], 0.5),
        (0, [f"{f} {g}" for f in KIND_FEELING for g in PEOPLE], 0.5),
    ]
    return [(y, [with_articles(s) for s in group], share) for y, group, share in groups]


def sentences(per_frame: int, rng: random.Random, held: set[str] = frozenset()):
    """The contrast sentences: from each group, per_frame x its share, none of them a held line."""
    out = []
    for y, group, share in candidates():
        items = sorted({s for s in group if key(s) not in held})
        rng.shuffle(items)
        out += [(y, s) for s in items[: int(per_frame * share)]]
    end = lambda s: s if s.endswith((".", "!", "?")) else s + rng.choice([".", ".", ".", "!"])
    return [(y, end(s)) for y, s in out]


def held_lines() -> dict[str, set[str]]:
    """The keys of the dev lists and the test list, by file."""
    here = Path(__file__)
    paths = [here.with_name("dev-insults.txt"), here.with_name("dev-polite.txt"), here.with_name("dev-hate.txt"),
             here.with_name("dev-group-benign.txt"),
             here.resolve().parents[2] / "bench" / "data" / "insults.txt"]
    return {p.name: {key(l) for l in p.read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")}
            for p in paths if p.exists()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).with_name("contrast.csv")))
    ap.add_argument("--per-frame", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--overlap", action="store_true", help="print how many lines of each held list the frames can build")
    a = ap.parse_args()
    lists = held_lines()
    if a.overlap:
        built = {key(s) for _, group, _ in candidates() for s in group}
        for name, keys in lists.items():
            print(f"{name}: {len(keys & built)} of {len(keys)} lines can be built by the frames (none is drawn)")
        return
    rows = sentences(a.per_frame, random.Random(a.seed), set().union(*lists.values()))
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "label", "source"])
        for y, s in rows:
            w.writerow([s, "toxic" if y else "non-toxic", "contrast"])
    print(f"wrote {len(rows)} sentences ({sum(y for y, _ in rows)} toxic) to {a.out}")


if __name__ == "__main__":
    main()
