"""Cue phrases for STAR segmentation (used by starcoach.star).

General English cues only: nothing here may be specific to one story or one industry.
Each cue is (regex over the normalised clause text, weight). Normalised text (starcoach.text) is
lower case, words joined by single spaces, punctuation dropped except inside words and numbers
("didn't", "3.5", "1,000") and "%$£€" kept, fillers removed and immediate repeats collapsed
("i i built" -> "i built").
"""

from __future__ import annotations

import re

S, T, A, R = range(4)

FILLERS = frozenset({"um", "uh", "erm", "er", "uhm", "umm", "uhh", "hmm", "mm", "ah"})

# Section labels a candidate may say or type: "Situation:", "[S]", "(T)", "Task -".
LABELS: dict[str, int] = {
    "situation": S, "context": S, "background": S, "s": S,
    "task": T, "t": T,
    "action": A, "actions": A, "a": A,
    "result": R, "results": R, "outcome": R, "r": R,
}

# Irregular past-tense verbs that describe doing something (not states like was/had/knew).
_IRREGULAR = (
    "built rebuilt wrote rewrote made took sent set ran went spoke met told gave brought put "
    "found got kept led paid cut chose drew drove flew held left let read said saw sold spent "
    "taught began broke came did caught fought bought dug hung hit laid rang shook shot split "
    "spread struck swept threw tore undertook withdrew overcame sat stood sought won"
).split()
_NOT_ACTION_ED = (
    "needed wanted used seemed happened noticed discovered realised realized learned learnt "
    "owned supposed expected worried concerned tasked asked assigned based interested "
    "excited scared frustrated tired involved required"
).split()
_ADVERB = r"(?:(?:also|then|first|just|even|still|quickly|immediately|personally|proactively|" \
    r"actually|basically|finally|eventually|carefully|directly|later|really|next|initially|\w+ly) )"
_PAST = r"(?:(?!(?:" + "|".join(_NOT_ACTION_ED) + r")\b)[a-z]+ed|" + "|".join(_IRREGULAR) + r")"
FIRST_PERSON_ACTION = re.compile(r"\bi " + _ADVERB + r"{0,2}" + _PAST + r"\b")
WE_ACTION = re.compile(r"\bwe " + _ADVERB + r"{0,2}" + _PAST + r"\b")

_NUM_WORDS = (
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    "fifty hundred thousand million billion percent half double twice triple"
).split()
NUMBER = re.compile(r"(?:\d|%|\$|£|€|\b(?:" + "|".join(_NUM_WORDS) + r")\b)")

_AMT = r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of|about|\d+)"

# Signposts: explicit phrases that name a section, at the start of a clause after optional
# "so/and/but/then/okay/well". (phrase regex, section, weight, tier): tier 2 names the section
# outright ("the result was"), tier 1 is a discourse marker ("as a result"), tier 0 only hints.
# order_problems trusts tier 2 anywhere and tier 1 only at the very start of an answer.
# "the situation was resolved", "my task was done": an outcome, not a signpost
_NOT_DONE = r"(?! (?:now |then |finally |quickly |completely |fully |much |a lot )?(?:resolved|fixed|solved|sorted|handled|defused|contained|under control|back|over|done|complete|completed|finished|easier|better|calmer|saved|made)\b)"
_LEAD = r"^(?:(?:so|and|but|okay|ok|well|now|yeah|right|then|basically|anyway|all right) )*"
_SIGNPOSTS: list[tuple[str, int, float, int]] = [
    (r"(?:the|my) (?:situation|context|background|setting|scenario)(?: here)? (?:was|is)\b" + _NOT_DONE, S, 8.0, 2),
    (r"(?:to )?(?:give you|set the|for) (?:some )?(?:context|background|scene)\b", S, 5.0, 2),
    (r"(?:my|the|our) (?:main )?(?:task|role|responsibility|assignment)s? (?:here |there |then )?(?:was|were|is|became)\b" + _NOT_DONE, T, 7.0, 2),
    (r"(?:my|the|our) (?:main )?(?:job|goal|mission|objective|challenge|mandate)s? (?:here |there |then )?(?:was|were|is|became)\b", T, 6.0, 0),
    (r"(?:i was (?:tasked|asked|assigned|charged) with|i was responsible for|it was (?:on|up to) me)\b", T, 4.0, 0),
    (r"(?:what i did(?! (?:wrong|differently|badly|well|not|right))|the (?:first )?(?:actions?|steps?|things?) i (?:took|did)|here's what i did|the actions? (?:was|were))\b", A, 8.0, 2),
    (r"(?:i decided to|i made the decision to|i started by|i began by|my (?:first )?(?:step|move|approach) was)\b", A, 3.0, 0),
    (r"(?:the|our|my) (?:end )?(?:result|outcome|impact)s? (?:was|were|is|of this|of that|of all)\b", R, 8.0, 2),
    (r"(?:as a result(?! of)|in the end|at the end of the day|ultimately|the end result)\b", R, 5.0, 1),
    (r"(?:what i (?:learned|learnt|took away)|the (?:big |main |key )?(?:lesson|takeaway)s?|looking back|in hindsight|in retrospect)\b", R, 6.0, 1),
]
SIGNPOSTS: list[tuple[re.Pattern[str], int, float, int]] = [
    (re.compile(_LEAD + p), sec, w, tier) for p, sec, w, tier in _SIGNPOSTS
]
# The same phrases found anywhere in a sentence (a section may start mid-sentence in speech).
SIGNPOSTS_INSIDE: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"\b" + p), sec) for p, sec, _w, tier in _SIGNPOSTS if tier == 2
]

# Scored cues, anywhere in a clause. (pattern, {section: weight}).
_C = re.compile
CUES: list[tuple[re.Pattern[str], dict[int, float]]] = [
    # --- Situation: setting, background, states, a problem that existed or was found.
    (_C(r"\b(?:at|in) my (?:last|previous|old|former|current|first|second) (?:job|company|role|team|position|employer)\b"), {S: 2.5}),
    (_C(r"\b(?:years?|months?|weeks?) ago\b|\blast (?:year|summer|spring|autumn|fall|winter|quarter)\b|\bback (?:in|when)\b|\bat the time\b|\bthis was (?:when|at|back|during|in|a)\b"), {S: 2.0}),
    (_C(_LEAD + r"(?:when|while|during|at|in) "), {S: 1.0}),
    (_C(r"\bi was (?:a|an|the|one of the|working|leading|running|managing|overseeing|monitoring|on)\b"), {S: 1.5}),
    (_C(r"\b(?:there (?:was|were|had been)|we had|we were|our \w+(?: \w+)? (?:was|were|had)|it was taking|(?:was|were) (?:getting|taking|causing|failing|losing|leaving|running))\b"), {S: 1.0}),
    (_C(r"\b(?:company|startup|organi[sz]ation|firm|agency|team of|department|platform|product|project|customers|clients)\b"), {S: 0.5}),
    (_C(r"\b(?:had been|had (?:already|just|only|never)|kept|used to|would (?:always|often)|every time|each time)\b"), {S: 1.0}),
    (_C(r"\b(?:problem|issue|complain\w*|spike|struggl\w*|frustrat\w*|tension|outage|deadline|risk|late|behind|slow\w*)\b"), {S: 0.7}),
    (_C(r"\b(?:i|we) (?:noticed|discovered|realised|realized|found out|learned that|saw that)\b"), {S: 1.0}),
    # --- Task: what was asked of me, what I owned, what I needed to decide.
    (_C(r"\bi (?:needed|had|wanted|was asked|was supposed|was expected) to\b"), {T: 2.0}),
    (_C(r"\b(?:my|the) (?:task|role|job|goal|responsibility|mission|objective|challenge|mandate) (?:was|is)\b"), {T: 2.5}),
    (_C(r"\b(?:i was|i'm|as) (?:the )?(?:\w+ )?(?:responsible|accountable|in charge|owner|dri|on the hook)\b|\bi owned\b|\bit was (?:on|up to) me\b|\bfell to me\b|\bi decided (?:that )?i would\b"), {T: 2.5}),
    (_C(r"\b(?:asked|tasked|assigned|told|needed) me to\b|\bi was (?:tasked|asked|assigned|charged)\b"), {T: 2.0}),
    (_C(r"\b(?:had to|needed to) (?:decide|figure|work out|find|make sure|get|fix|resolve|deliver|convince|push|choose|weigh)\b|\bwhether to\b"), {T: 1.5}),
    (_C(_LEAD + r"as (?:the|a|an|her|his|their|my) \w+"), {T: 1.5}),
    (_C(r"\bso that\b|\bwithout\b|\bby the end of\b|\bin time for\b"), {T: 0.3}),
    # --- Action: what I did, in order.
    (_C(_LEAD + r"(?:first(?:ly)?|second(?:ly)?|then|next|afterwards|meanwhile|finally|i started|i began)\b"), {A: 1.5}),
    (_C(r"\bwe (?:could|would|will|'d|'ll) \w+"), {A: 0.6}),
    (_C(r"\b(?:i|we) (?:decided to|made the decision to|made sure|set up|reached out|sat down|followed up|worked with|worked on|spoke to|talked to|went to|met with|pushed|proposed|suggested|offered|asked (?:him|her|them|if|what|each|for)|explained|presented|negotiated|convinced|arranged|organi[sz]ed|scheduled|booked|paired|escalated|delegated|volunteered|prioriti[sz]ed)\b"), {A: 1.5}),
    (_C(r"\b(?:i|we) (?:then|also|first|personally|immediately|quickly) (?!(?:had|was|were|knew|felt|thought|needed|wanted)\b)\w+"), {A: 1.0}),
    (_C(r"\b(?:in order to|to make sure|to ensure|so (?:they|he|she|we|the team|everyone) (?:could|would)|instead of)\b"), {A: 0.7}),
    (_C(r"\b(?:i|we) (?:would|could) (?:not|n't)\b|\bi didn't\b|\bi did not\b|\bi chose\b"), {A: 0.7}),
    # --- Result: outcomes, numbers, recognition, reflection.
    (_C(r"\b(?:went|dropped|fell|rose|grew|came|got|moved) (?:down |up |back )?(?:from|to) \S+|\bfrom \S+(?: \S+)? to (?:under |over |about |around |just |less than |more than )?\S+"), {R: 1.5}),
    (_C(r"\b(?:increased|decreased|reduced|improved|cut|saved|dropped|grew|rose|fell|doubled|halved|tripled|retained|recovered|generated|prevented|avoided|delivered|shipped|launched|completed|released|finished)\b"), {R: 1.0}),
    (_C(r"\b(?:percent|per cent|%|points?|revenue|churn|satisfaction|nps|downtime|uptime|on time|on schedule|ahead of|early|zero|no (?:major |more |further )?(?:incidents?|issues|problems|complaints|bugs|downtime))\b"), {R: 1.0}),
    (_C(_LEAD + r"(?:after|within|by the end of|over the next|in the (?:next|following)) (?:that|" + _AMT + r")\b"), {R: 2.0}),
    (_C(r"\b(?:as a result(?! of)|resulted|result|outcome|in the end|ended up|ultimately|eventually|since then|to this day|later (?:used|became|adopted)|was adopted|became|has been|still (?:use|using|running|in use|keep)|now (?:run|runs|use|uses|own|owns))\b"), {R: 1.5}),
    (_C(r"\b(?:thanked|praised|recogni[sz]ed|promoted|credited|cited|called out|named|commended|congratulated|feedback|appreciated|happy|review)\b"), {R: 1.0}),
    (_C(r"\b(?:learned|learnt|lesson|taught me|took away|takeaway|in hindsight|looking back|differently|i now|now i|going forward|ever since|i realised|i realized|i carry|i'd do|i would do)\b"), {R: 2.0}),
    (_C(r"\b(?:success|successful|successfully|worked well|went well|paid off)\b"), {R: 1.0}),
]
