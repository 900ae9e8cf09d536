"""Writes contrast.csv: templated training sentences for the toxicity head, toxic and benign in matched frames.

The labelled sources hold few threats or insults in plain prose, and none of the benign sentences that share their
frames ("I'll call you tonight" beside "I'll kill you tonight"), so a head over mean-pooled states learns profanity and
slurs, not the act of threatening or insulting someone. Each frame here is filled with harmful and with harmless
words alike, so that only the content decides. Deterministic (seeded); train split only. The dev lists
(dev-insults.txt, dev-polite.txt) and bench/data/insults.txt are never drawn from.

    python3 training/toxicity/make_contrast.py [--out training/toxicity/contrast.csv] [--per-frame N]

The CSV has the header text,label,source like toxicity-extra's files (label toxic or non-toxic, source contrast).
"""
import argparse
import csv
import itertools
import random
from pathlib import Path

HARM_VERBS = ["kill", "stab", "shoot", "hurt", "beat", "punch", "kick", "strangle", "choke", "burn", "drown", "slap",
              "crush", "murder", "bury", "destroy", "batter", "maim", "smother", "knife", "club", "torture", "butcher",
              "skin", "wreck", "beat % up", "kick the hell out of", "finish % off", "take % out", "hunt % down"]
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
THREAT_FRAMES = ["I will {v} you", "I'm going to {v} you", "I'll {v} you", "I am going to {v} you", "We will {v} you",
                 "I swear I'll {v} you", "I'm gonna {v} you", "Next time, I will {v} you", "I want to {v} you",
                 "Someone should {v} you"]
BODY_FRAMES = ["I will {b}", "I'm going to {b}", "I'll {b}", "Tomorrow I will {b}", "I promise I'll {b}"]
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
INDIRECT_TOXIC = ["You won't live to see {when}", "I know where you live, and I'm coming {when}",
                  "You'd better sleep with one eye open {when}", "You will pay for this with your blood",
                  "You'll end up in the hospital {when}", "You're a dead man {when}", "Nobody will find your body",
                  "You will regret this for the rest of your short life",
                  "Your family won't recognise you when I'm done"]
INDIRECT_KIND = ["You will live to see {when}", "I know where you work, so I'll drop by {when}",
                 "You'd better bring a coat {when}", "You will pay for this at the counter",
                 "You'll end up in Paris {when}", "You're a lucky man {when}", "Nobody will find the mistake",
                 "You will remember this for the rest of your life",
                 "Your family won't recognise the house when we're done"]
WHEN = ["", "next week", "tomorrow", "this year", "after the meeting", "tonight", "on Friday"]
ROLE = ["teacher", "writer", "father", "manager", "doctor", "human being", "lawyer", "friend", "son", "player"]
GROUP = ["family", "team", "school", "profession", "country", "town"]
THING = ["essay", "voice", "code", "music", "cooking", "painting", "opinion", "plan", "idea", "argument"]
ROLE_TOXIC = ["You are a sorry excuse for a {r}", "You are a disgrace to your {g}", "Your mother raised a {n}",
              "Your {x} is as stupid as you are", "No {r} has ever been as useless as you"]
ROLE_KIND = ["You are a fine example of a {r}", "You are a credit to your {g}", "Your mother raised a {k}",
             "Your {x} is as charming as you are", "No {r} has ever been as patient as you"]

IMPERATIVE_TOXIC = ["Shut up", "Get lost", "Go to hell", "Drop dead", "Piss off", "Get out of my sight", "Go away and die",
                    "Crawl back into your hole", "Shut your mouth", "Stop breathing my air"]
IMPERATIVE_KIND = ["Come in", "Sit down", "Have a seat", "Take care", "Enjoy your meal", "Make yourself at home",
                   "Help yourself to tea", "Come back soon", "Say hello to your sister", "Have a good trip"]


def fill(frames, key, words, tails=("",)):
    # "hunt % down": a particle verb takes its object inside ("hunt you down").
    def put(f, w):
        return f.replace("{%s} you" % key, w.replace("%", "you")) if "%" in w else f.format(**{key: w})
    return [put(f, w) + t for f, w, t in itertools.product(frames, words, tails)]


def sentences(per_frame: int, rng: random.Random):
    def pick(items, k):
        items = sorted(set(items))
        rng.shuffle(items)
        return items[:k]

    toxic, benign = [], []
    toxic += pick(fill(THREAT_FRAMES, "v", HARM_VERBS, TAILS), per_frame * 3)
    benign += pick(fill(THREAT_FRAMES, "v", KIND_VERBS, TAILS), per_frame * 3)
    toxic += pick(fill(BODY_FRAMES, "b", HARM_BODY, TAILS), per_frame)
    benign += pick(fill(BODY_FRAMES, "b", KIND_BODY, TAILS), per_frame)
    toxic += pick(fill(WISH_FRAMES, "w", HARM_WISHES), per_frame)
    benign += pick(fill(WISH_FRAMES, "w", KIND_WISHES), per_frame)
    ins = [f.format(a=a, n=n) for f, a, n in itertools.product(INSULT_FRAMES, INSULT_ADJ, INSULT_NOUN)]
    kind = [f.format(a=a, n=n) for f, a, n in itertools.product(INSULT_FRAMES[:7], KIND_ADJ, KIND_NOUN)]
    toxic += pick(ins, per_frame * 3)
    benign += pick(kind, per_frame * 3)
    toxic += pick([f"{i}, you {a} {n}" for i in IMPERATIVE_TOXIC for a in INSULT_ADJ for n in INSULT_NOUN], per_frame)
    benign += pick([f"{i}, my {a} {n}" for i in IMPERATIVE_KIND for a in KIND_ADJ for n in KIND_NOUN], per_frame)
    benign += pick(fill(THING_FRAMES, "t", HARM_ON_THINGS), per_frame * 2)
    toxic += pick([f.format(when=w).replace("  ", " ").strip() for f in INDIRECT_TOXIC for w in WHEN], per_frame // 2)
    benign += pick([f.format(when=w).replace("  ", " ").strip() for f in INDIRECT_KIND for w in WHEN], per_frame // 2)
    role = lambda frames, nouns: [f.format(r=r, g=g, n=n, k=n, x=x) for f in frames for r in ROLE for g in GROUP
                                  for n in nouns for x in THING]
    toxic += pick(role(ROLE_TOXIC, INSULT_NOUN), per_frame)
    benign += pick(role(ROLE_KIND, KIND_NOUN), per_frame)
    end = lambda s: s if s.endswith((".", "!", "?")) else s + rng.choice([".", ".", ".", "!"])
    return [(1, end(s)) for s in toxic] + [(0, end(s)) for s in benign]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).with_name("contrast.csv")))
    ap.add_argument("--per-frame", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rows = sentences(a.per_frame, random.Random(a.seed))
    held = set()
    for name in ("dev-insults.txt", "dev-polite.txt"):
        held |= {l.strip().lower() for l in Path(__file__).with_name(name).read_text().splitlines()}
    bench = Path(__file__).resolve().parents[2] / "bench" / "data" / "insults.txt"
    if bench.exists():
        held |= {l.strip().lower() for l in bench.read_text().splitlines()}
    rows = [(y, s) for y, s in rows if s.lower() not in held]
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "label", "source"])
        for y, s in rows:
            w.writerow([s, "toxic" if y else "non-toxic", "contrast"])
    print(f"wrote {len(rows)} sentences ({sum(y for y, _ in rows)} toxic) to {a.out}")


if __name__ == "__main__":
    main()
