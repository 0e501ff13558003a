"""The cue phrases that put the place names after them into a context role: who pays, attends, acts, lives there."""

from __future__ import annotations

import re

from publisher.casefold import lowered
from publisher.phrasescan import PhraseScan


def _words(block: str) -> list[str]:
    return block.split()


# Who, in a story about migration, lives, works or travels abroad: a cue about them is context.
MIGRANT_WORD = re.compile(
    r"\b(?:(?i:migrants?|workers|nationals|citizens|diaspora|emigrants|boats|refugees|arrivals|asylum[\s-]seekers"
    r"|children|minors|families)|[A-Z][a-z]+(?:ans|ians|is|ese|ks|hs|nos|ars)"
    r"|(?i:an?|one)\s+[A-Z][a-z]+(?:an|ian|i|ese))\b"  # one of them: "a Moldovan living in the Netherlands"
)
MIGRANT_WINDOW = 40  # the people the verb is said of stand close before it ("workers ... now works in" is a programme)
# Cue phrases that put the place names listed right after them into a context role. Each starts with its
# key word, so that scanning a text for them stays cheap. "support" and "implemented" are checked more
# strictly (see _INSTITUTION): partner institutions support and implement too; the migrant_* cues count
# only after a word for migrants (see MIGRANT_WORD).
_CUES: dict[str, tuple[str, ...]] = {
    "donor": (
        r"(?:co-?)?(?:funded|financed|sponsored|commissioned|donated|paid\s+for)\s+(?:\d+\s+per\s*cent\s+)?by",
        # "12 million euros, 10 million of its own and 2 million from Germany"
        r"(?<=\d\s)(?:million|billion)\s+(?:euros?\s+|dollars\s+|francs\s+)?from",
        r"(?:funding|financing|grants?|contributions?|donations?|money)\s+(?:of\s+(?:EUR|USD|CHF|€|\$)?\s?[\d.,]+\s*"
        r"(?:million|billion|thousand)?\s+(?:euros?\s+|dollars\s+|francs\s+)?from|of|from|by|provided\s+by)",
        r"donors?(?!\s+(?:and|or)\s)(?:\s+(?:such\s+as|including|like))?:?",  # "the donor and the X" is no list
        # "the funding partners Germany, Switzerland and Sweden"
        r"(?:funding|financing|financial)\s+partners?(?:\s+(?:such\s+as|including|like))?:?",
        r"behalf\s+of",  # who commissions the work: "on behalf of the German Federal Government"
        r"backed\s+by",  # "a project ..., backed by the United States and Germany"
        # what was handed over, and by whom: "received passport scanners from the Government of the UK"
        r"(?:received|receives|receiving)\s+(?:[\w-]+\s+){1,5}?from",
    ),
    "support": (r"(?<!in\s)support(?:ed)?\s+(?:of|from|by)",),  # "in support of Moldova" is whom it is for
    # Who carries the work out acts in it; unlike a donor, its country's other mentions stay what they are ("run
    # by Tunisia's national employment agency" in a story about Tunisian engineers).
    "implementer": (r"(?:implemented|run|managed)\s+by",),
    "actor": (
        r"(?:ambassadors?|embass(?:y|ies)|consulates?|consuls?|envoys?|high\s+commissioners?)\s+of",
        r"(?:speaking|signed|signing)\s+(?:for|on\s+behalf\s+of)",  # "Mr X signed for Switzerland", "Speaking for the Netherlands"
        # an agency's representative for a country: "IOM's chief of mission for El Salvador, Guatemala and Honduras"
        r"(?:chiefs?|heads?)\s+of\s+(?:the\s+)?(?:missions?|offices?)\s+(?:for|to)",
    ),
    # People who come from somewhere to give or to watch: context, alone or in a list.
    "attendee": (
        r"(?:experts?|specialists?|speakers|panell?ists|trainers|observers|guests|colleagues|counterparts|peers)"
        r"(?:\s+and\s+\w+)?"  # "experts and organisations from Belgium"
        r"(?:\s+(?:came|come|coming|travell?ed|seconded|deployed|sent|drawn))?\s+(?:from|of)",  # "experts came from"
        # a guest's journey: "IOM's chief of staff, who travels from Geneva"
        r"(?<=who\s)(?:travels|travell?ed|flew|flies|came|comes)\s+(?:in\s+)?from",
        r"attended\s+by",
        r"participation\s+of",
        r"brought\s+together(?:\s+\w+){0,3}\s+(?:from|of)",
        r"brought\s+together(?=\s+(?:the\s+)?[A-Z])",  # "... which brought together Germany, the EU, Japan and China"
        r"participating\s+(?:countries|states)(?:\s+(?:were|included|such\s+as))?:?",
        # "they represented twelve participating States and Partners for Co-operation: A, B, ..."
        r"represent(?:ed|ing)\s+(?:[\w-]+\s+){0,10}?(?:countries|states|governments|nations)(?:\s+[\w-]+){0,4}?:",
        # "eighty officials represented the governments of A, B, C and D"
        r"represent(?:ed|ing)\s+(?:the\s+)?(?:governments|countries|states)\s+of",
        # "partners, including Spain and France", "partners in Rabat such as Spain"
        r"partners(?:\s+in\s+[A-Z][\w-]*)?,?\s+(?:including|such\s+as|like|among\s+them)",
    ),
    # A delegation from one country is whom the meeting is for; delegates from a list of them attend. State
    # "delegations of A, B and C" are the parties of an intergovernmental meeting, not its audience.
    "attendee_list": (
        r"(?:delegat(?:es|ion)(?!s)|participants|representatives|officials|officers|ministers|practitioners"
        r"|attendees|members|managers|trainees|staff|guards|institutions|teachers|students|judges|prosecutors"
        r"|journalists|researchers|partners|diplomats)(?:\s+and\s+\w+)?"
        r"(?:,(?:\s+[\w-]+,?){1,14}?\s+(?:came|come|travell?ed)\s+from"  # "participants, judges and police, came from"
        r"|(?:\s+(?:came|come|were|travell?ed|deployed|seconded|sent))?(?:\s+(?:from|of)|,\s+from))"  # "officials came from", "participants, from"
        # "officers from border guard, customs and drug control agencies of"
        r"(?:\s+(?:[\w-]+,?\s+){0,8}?(?:agencies|institutions|ministries|authorities|services|bodies)\s+(?:of|from))?"
        # "participants of the college's one-year course from A, B and C"
        r"(?:\s+(?:the\s+)?(?:[\w'’-]+\s+){0,4}?(?:course|programme|training|class)\s+from)?"
        # "representatives of the neighbouring transit countries Chad, Egypt and Libya"
        # (or "representatives of the eleven Asian labour-sending member countries, Sri Lanka, Afghanistan, ...")
        r"(?:\s+(?:the\s+)?(?:[\w-]+\s+){0,4}?(?:countries|states),?(?=\s+(?:the\s+)?[A-Z]))?",
    ),
    "background": (
        # (a programme's "country offices in A, B and C", its "field offices in", are where it works)
        r"(?<!country\s)(?<!field\s)(?<!project\s)(?<!local\s)(?:offices?|headquarters|branch(?:es)?"
        r"|permanent\s+(?:missions?|representations?))\s+in",
        r"(?<!country\s)(?<!field\s)(?<!project\s)(?<!local\s)offices?\s+for",  # "the ILO office for Mexico and Cuba"
        # a person's post there: "IOM's chief of mission in Ethiopia said"
        r"(?:chiefs?|heads?)\s+of\s+(?:the\s+)?(?:missions?|offices?)\s+in",
        # a diplomat's post: "Sri Lanka's Permanent Representative to the UN in Geneva"
        r"permanent\s+representatives?\s+(?:to\s+the\s+(?:UN|United\s+Nations)\s+)?in",
        r"routes?\s+between",  # "monitors trafficking routes between Nigeria, Italy and Sweden"
        r"(?<=as\s)far\s+(?:away\s+)?as",  # where people came from: "many from as far as India, Nepal and Cameroon"
        r"diaspora\s+(?:communities\s+)?in",  # "members of the Moldovan diaspora in the United States"
        # years spent somewhere before: "returnees, many of whom had spent years in Côte d'Ivoire"
        r"spen[dt]\s+(?:\w+\s+)?(?:years|months)\s+(?:abroad\s+)?in",
        # "GIZ's regional director for Tunisia and Libya", "its country representative in Ghana"
        r"(?:regional|country|deputy)\s+(?:directors?|representatives?|coordinators?|managers?)\s+(?:for|in)",
        r"borders?\s+with",  # a neighbour named to say where a place is
        # who belongs to the organisation that acts: "the Regional Conference, whose members are A, B and C"
        r"whose\s+(?:members|member\s+states|member\s+countries)\s+(?:are|include)",
        r"(?<!between\s)partnerships?\s+with",  # "welcomed Qatar's partnerships with the United States and Switzerland"
        # a trafficking route and its source: "heroin smuggled out of Afghanistan travels this route through A, B"
        r"routes?\s+through",
        r"smuggled\s+out\s+of",
        r"(?:(?<=which\s)|(?<=that\s))borders",  # "Nakhchivan, which borders Turkey"
        # where returnees come back from: the story is where they return to
        r"(?:returnees?|deportees?|returned|deported|removed|expelled|expulsions?|return(?:s|ing)?|deportations?"
        r"|(?:came|come|coming|sent|brought)\s+back)"
        r"(?:\s+(?:migrants?|workers|refugees|nationals|citizens|migrant|labour|of|the|by|air|land|sea|road|home"
        r"|voluntarily|[A-Z][a-z]+)){0,3}\s+from",
        # another event, before or after this one: "ahead of the summit in Vilnius"
        r"(?:ahead\s+of|after|since|before|following|next|previous|upcoming)\s+(?:the\s+|an?\s+|its\s+)?(?:[\w-]+\s+){0,4}?"
        # "a few weeks after the joint meeting of EU and G5 Sahel ministers in Brussels", "after the attacks in Paris"
        r"(?:summit|conference|meeting|forum|round|session|announcement|visit|attacks?)"
        r"(?:\s+of(?:\s+[\w-]+){1,8}?)?\s+(?:(?:held|made)\s+)?(?:in\s+\w+\s+\d{4}\s+)?in",
        # "Earlier editions met in Accra, Lusaka and Kampala"
        r"(?:earlier|previous|past|former)\s+(?:editions?|meetings?|rounds?|sessions?|conferences?|forums?)"
        r"(?:\s+(?:were\s+held|took\s+place|met|have\s+met|had\s+met))?\s+in",
        # where someone lived before coming back: "returnees who had lived in Sudan for years"
        r"had\s+(?:lived|worked|stayed|resided)\s+in",
        # where someone works from: "he will be based in Pretoria", "from her residence in Accra"
        r"based\s+in",
        r"residence\s+in",
        # a career: "she served in Senegal, Niger and Norway", "formerly head of IOM in Guinea"
        r"(?:served|posted|stationed)(?:\s+as\s+(?:[\w'’-]+\s+){1,6}?)?\s*in",
        # a state's officials abroad: "attachés will be posted to embassies in the UK, the UAE and Hungary"
        r"(?:post(?:s|ed|ing)?|deploy(?:s|ed|ing)?|seconded|sen[dt]s?|assign(?:s|ed)?)\s+(?:[\w'’-]+\s+){0,2}?to"
        r"\s+(?:its\s+|the\s+|their\s+)?(?:embassies|consulates|missions)\s+in",
        r"formerly\s+(?:[\w'’-]+\s+){1,6}?in",
        # "she has worked for IOM for some twenty years, in Senegal, Niger and Norway"
        # (keyed on "worked", a rare word, not on "has")
        r"(?:(?<=\bshe\shas\s)|(?<=\bshe\shad\s)|(?<=\bhe\shas\s)|(?<=\bhe\shad\s))worked\s+(?:for|with|at)\s+"
        r"(?:[\w'’-]+\s+){1,4}?"
        r"(?:for\s+(?:[\w-]+\s+){1,3}?(?:years|decades),?\s+)?in",
        # "he has led its missions in Yemen and Nepal and was its special envoy to India"
        r"(?:has\s+|had\s+)?led\s+(?:its\s+|the\s+|IOM['’]s\s+|UNHCR['’]s\s+)?(?:missions?|offices?|operations?|teams?)\s+in",
        r"(?:was|had\s+been|former|formerly)\s+(?:[\w'’-]+\s+){0,3}?envoy\s+(?:to|for)",
        # other instances of the same thing: "similar agreements have been initialled with A and B", "after similar
        # trainings in A", "the first such agreement was concluded with A", "it already works under agreements in A"
        r"similar\s+(?:[\w-]+\s+){0,3}?(?:(?:have|has|had|were|was)\s+)?(?:(?:already\s+)?been\s+)?(?:held|organi[sz]ed"
        r"|conducted|signed|initial(?:l)?ed|concluded|launched|opened|set\s+up|established|carried\s+out|implemented|run"
        r"|taken\s+place|took\s+place|piloted|tested)\s+(?:with|in)",
        r"similar\s+(?:[\w-]+\s+){1,3}?in",
        r"such\s+[\w-]+\s+(?:was|were|had\s+been|has\s+been|have\s+been)\s+(?:\w+\s+)?\w+ed\s+(?:with|in)",
        r"already\s+(?:works?|operates?|runs?|ran|worked|operated)\s+(?:under\s+(?:[\w-]+\s+){0,3}?)?in",
        # "Kenya also has bilateral labour agreements with Australia, Poland and Oman"
        r"also\s+(?:has|have|had|signed|holds|concluded)\s+(?:[\w-]+\s+){0,3}?(?:agreements|arrangements|deals"
        r"|partnerships)\s+with",
        # a later event's venue: "to prepare the conference to be held in Rome in November"
        r"(?:to|will|would|shall)\s+be\s+(?:held|hosted|convened)\s+in",
    ),
    "migrant_background": (
        r"(?:live[sd]?|living|work(?:s|ed|ing)?|resid(?:e|es|ed|ing)|settled|employed|face[sd]?)"
        # "live abroad, most of them in Russia", "work abroad, mainly in Malaysia"
        r"\s+(?:abroad,?\s+(?:(?:most|many|mainly|mostly|largely|above\s+all)\s+(?:of\s+them\s+)?)?)?in"
        r"(?:\s+neighbou?ring)?",
    ),
    # Only the movement of migrants: a delegation that travels somewhere is where the action happens.
    "destination": (
        r"(?:migrat(?:e|ed|es|ing|ion)|emigrat(?:e|ed|es|ing|ion)|journeys?|routes?|fl(?:ee|ed|eeing)|smuggled"
        r"|trafficked|way)\s+(?:on\s+)?(?:to|towards|into)",
        r"destination(?:\s+countries|\s+country)?(?:\s+(?:such\s+as|including|like|of))?(?:\s*[:–—])?",
        r"countries\s+of\s+destination(?:\s+(?:such\s+as|including|like))?",
        r"home\s+or\s+(?:abroad\s+)?in",  # "a better chance of a job, at home or in Germany"
        # "27,000 citizens went to work abroad through the agency in the first nine months, to Russia, Korea, ..."
        r"abroad(?:\s+[\w-]+){0,14}?,\s+(?:mainly\s+|mostly\s+|above\s+all\s+)?to",
        # "jobs in construction and services are now on offer in Germany and Poland"
        r"(?<=on\s)offer\s+in",
        # where people ask for protection: "thousands wait for a chance to ask for asylum in the United States"
        r"(?:ask|asks|asked|asking|apply|applies|applied|applying|seek|seeks|sought|seeking|claim|claimed|claiming)"
        r"\s+(?:for\s+)?asylum\s+in",
        r"granted\s+(?:asylum|refugee\s+status|protection)\s+in",
        # where refugees are resettled: "helped 100,000 refugees leave Lebanon for a new life in Canada"
        r"new\s+li(?:fe|ves)\s+in",
        # "the region with the most irregular departures for Italy", "gave up on reaching Germany"
        r"departures\s+(?:for|to|towards)",
        r"(?<=on\s|of\s)reaching",
        # what migrants are prepared for: "orientation modules adapted for work in the United Kingdom and Turkey"
        r"(?:adapted|tailored|prepared)\s+for\s+(?:work|jobs|employment|life)\s+in",
        r"resettle(?:d|ment)\s+(?:to|in)",
        # where people on the move wanted to go: "most had hoped to reach Saudi Arabia"
        r"(?:hop(?:e|es|ed|ing)|tr(?:y|ies|ied|ying)|attempt(?:s|ed|ing)?)\s+to\s+reach"
        r"(?:\s+(?:the\s+)?(?:richer|wealthier|safer|other|more\s+prosperous))?",  # "hoping to reach richer EU countries"
        # "men from outside the continent seeking work in Mexico, the United States and Canada"
        r"(?:seek(?:s|ing)?|sought|look(?:s|ed|ing)?\s+for|in\s+search\s+of|search(?:es|ed|ing)?\s+for)\s+"
        r"(?:work|jobs?|employment|a\s+better\s+life)\s+in",
    ),
    "migrant_destination": (
        r"(?:travel\w*|mov(?:e|es|ed|ing)|head(?:s|ed|ing)?|cross\w*|went|go(?:es|ing|ne)?"
        r"|set(?:s|ting)?\s+(?:off|out)|depart(?:s|ed|ing)?)"
        # "travelling through Mexico towards the United States": the transit country is inside the cue; "heading on
        # to Austria", "go on through Yemen towards Saudi Arabia": further on
        r"(?:\s+on)?\s+(?:(?!back\b|home\b)[A-Z]\w+\s+)?(?:through\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,2}?\s+)?(?:abroad\s+)?"
        r"(?:to|towards|into|for)",
        # "three million Zimbabweans left in the past decade, mainly for South Africa" (a charter that "left for
        # Lagos" takes returnees home: only the spread of where many went is a destination)
        r"left,?(?:\s+[\w-]+,?){0,6}?\s+(?:mainly|mostly|largely|chiefly)\s+for",
    ),
}
# The role each kind of cue gives; the others are named after their role.
CUE_ROLE = {
    "support": "donor",
    "implementer": "actor",
    "attendee_list": "attendee",
    "migrant_background": "background",
    "migrant_destination": "destination",
}
_CUE_RE = re.compile(
    r"\b(?:" + "|".join(f"(?P<{role!s}>{'|'.join(c)})" for role, c in _CUES.items()) + r")\s+",
    re.IGNORECASE,
)
# The first word of every cue above (lower case; "\x00" ends a stem): a cheap scan for these finds the
# few places where the full cue pattern is worth trying.
_CUE_KEYS = PhraseScan(
    _words(
        """co funded financed sponsored commissioned donated paid received receives receiving funding financing grant grants contribution contributions donation
        donations donor donors behalf backed support supported implemented run managed ambassador ambassadors embassy embassies
        consulate consulates consul consuls envoy envoys high speaking chief chiefs regional country deputy partners partnership partnerships represented representing delegates delegation delegations participants
        representatives officials officers expert experts specialist specialists speakers panelists panellists ministers practitioners observers
        attendees guests members colleagues counterparts managers trainers trainees staff peers attended participation brought participating
        office offices headquarters permanent earlier previous past former had based branch branches border borders returnee returnees deportee new resettled resettlement returned came come coming sent brought deported removed
        expelled expulsion expulsions return returns returning deportation deportations live lives lived living spend spent diaspora work works worked working reside
        resides resided residing settled employed face faces faced migrate migrated migrates migrating migration emigrate emigration
        emigrated emigrates emigrating journey journeys route routes flee fled fleeing smuggled trafficked way
        destination countries home went go goes going gone travel\x00 move moves moved moving head heads headed
        heading cross\x00 whose diplomats money million billion travels travelled traveled flew flies came comes ask asks asked asking apply applies applied applying seek seeks sought seeking claim claimed claiming led was former similar such already also abroad offer adapted tailored prepared teachers students judges prosecutors journalists researchers signed signing guards institutions deportees residence served posted stationed post posts posting deploy deploys deployed deploying seconded send sends assign assigns assigned formerly
        far departures reaching granted set sets setting depart departs departed departing left hope hopes hoped hoping try tries tried trying attempt attempts attempted attempting ahead after since before following next previous upcoming to will would shall"""
    ),
    open_end="\x00",
)


_CUE_LOW = lowered(_CUE_RE)


def find_cues(text: str, low: str | None) -> list[re.Match[str]]:
    """Every cue phrase in `text`, ordered by where it ends; `low` as from lower_for_patterns(text)."""
    if low is None:  # a few characters change length or fold oddly in lower case: then scan the slow way
        return list(_CUE_RE.finditer(text))
    found = (_CUE_LOW.match(low, start) for start, _ in _CUE_KEYS.spans(low))
    # Of cues ending at one place, the longest comes last, and so is the one a mention after them takes ("had
    # lived in" over "lived in").
    return sorted((c for c in found if c is not None), key=lambda c: (c.end(), -c.start()))
