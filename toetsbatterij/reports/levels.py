"""What each CEFR level means, per skill, in everyday words a candidate understands.

The texts are B1 Dutch, concrete and short: one or two sentences per skill and level, drawn from
the Council of Europe's self-assessment grid (CEFR, table 2) and the NT2 domains of Flanders
(school, work, the municipality, shopping). They are Dutch msgids (``N_``), translated into every
candidate language in the catalogs; ``meaning(skill, level)`` gives the msgid, the caller
translates it (``toetsbatterij.i18n.translator``, or gettext in the web layer).

Levels are the codes a result holds: ``below_A1`` (the scoring core's name for "below the first
cut"), ``A1`` .. ``C1``. The manifests cut at A1..C1 only, so C2 never occurs.
"""

from __future__ import annotations

from toetsbatterij.delivery.definitions import SKILL_LABELS, SKILLS
from toetsbatterij.i18n import N_

BELOW_A1 = "below_A1"  # the same code as scoring.cefr.BELOW_A1 (tests/reports check it)
LEVELS = (BELOW_A1, "A1", "A2", "B1", "B2", "C1")

#: How a level is named to a person. A1..C1 are the same in every language.
_LEVEL_NAMES = {BELOW_A1: N_("lager dan A1")}

#: The whole scale in one sentence, for under the levels.
SCALE = N_("De niveaus gaan van A1 (beginner) over A2, B1 en B2 tot C1 (zeer goed).")

MEANINGS: dict[str, dict[str, str]] = {
    "reading": {
        BELOW_A1: N_("Lezen in het Nederlands lukt nog niet. Misschien herkent u al enkele "
                     "losse woorden, zoals 'open' of 'gesloten'."),
        "A1": N_("U kunt bekende namen, woorden en heel korte zinnen lezen, bijvoorbeeld op "
                 "een bord, een affiche of in een eenvoudige folder."),
        "A2": N_("U kunt korte, eenvoudige teksten lezen, zoals een sms, een briefje van "
                 "school, een menu of een dienstregeling."),
        "B1": N_("U kunt teksten over gewone dingen van elke dag en van het werk begrijpen, "
                 "zoals een brief waarin iemand vertelt wat hij heeft meegemaakt."),
        "B2": N_("U kunt artikels en verslagen over de actualiteit lezen, ook als de schrijver "
                 "zijn mening geeft. U begrijpt ook een modern verhaal."),
        "C1": N_("U kunt lange en moeilijke teksten begrijpen, ook vakteksten en lange "
                 "handleidingen over onderwerpen die u niet goed kent."),
    },
    "listening": {
        BELOW_A1: N_("Luisteren naar het Nederlands lukt nog niet. Misschien begrijpt u al "
                     "enkele woorden, zoals 'goedendag' of 'dank u'."),
        "A1": N_("U begrijpt bekende woorden en heel eenvoudige zinnen over uzelf, uw gezin "
                 "en uw buurt, als mensen langzaam en duidelijk spreken."),
        "A2": N_("U begrijpt zinnen over dingen die belangrijk zijn voor u, zoals winkelen, "
                 "uw werk of uw gezin. U begrijpt korte, duidelijke berichten, zoals een "
                 "bericht in het station."),
        "B1": N_("U begrijpt het belangrijkste als mensen duidelijk spreken over bekende "
                 "dingen, zoals werk, school of vrije tijd, ook op de radio of de tv."),
        "B2": N_("U kunt langere gesprekken en uitleg volgen. U begrijpt het meeste nieuws "
                 "op tv en de meeste films in het Standaardnederlands."),
        "C1": N_("U begrijpt lange gesprekken en uitleg, ook als niet alles duidelijk gezegd "
                 "wordt. U begrijpt tv-programma's en films zonder veel moeite."),
    },
    "writing": {
        BELOW_A1: N_("Een korte tekst schrijven in het Nederlands lukt nog niet. Misschien "
                     "kunt u al uw naam en adres invullen."),
        "A1": N_("U kunt een korte, eenvoudige kaart schrijven, zoals een groet uit vakantie. "
                 "U kunt op een formulier uw naam, adres en nationaliteit invullen."),
        "A2": N_("U kunt korte, eenvoudige berichten schrijven, zoals een sms of een briefje "
                 "aan de leerkracht. U kunt een heel eenvoudige brief schrijven, bijvoorbeeld "
                 "om iemand te bedanken."),
        "B1": N_("U kunt een eenvoudige tekst schrijven over dingen die u kent. U kunt een "
                 "brief of e-mail schrijven over wat u hebt meegemaakt en wat u ervan vindt."),
        "B2": N_("U kunt duidelijke, uitgebreide teksten schrijven over veel onderwerpen. U "
                 "kunt in een brief of tekst uitleggen waarom u iets vindt."),
        "C1": N_("U kunt duidelijke, goed opgebouwde teksten schrijven over moeilijke "
                 "onderwerpen, zoals een brief, een verslag of een opstel."),
    },
    "speaking": {
        BELOW_A1: N_("Spreken in het Nederlands lukt nog niet. Misschien kunt u al goedendag "
                     "zeggen en uw naam geven."),
        "A1": N_("U kunt eenvoudige vragen stellen en beantwoorden over heel bekende dingen, "
                 "als de ander langzaam spreekt en u helpt. U kunt zeggen waar u woont."),
        "A2": N_("U kunt een kort gesprek voeren over gewone dingen, zoals winkelen of een "
                 "afspraak maken. U kunt in eenvoudige zinnen vertellen over uw gezin en uw "
                 "werk."),
        "B1": N_("U kunt meepraten over bekende onderwerpen, zoals uw gezin, uw hobby's of uw "
                 "werk. U kunt vertellen wat u hebt meegemaakt en uitleggen wat u wilt."),
        "B2": N_("U kunt vlot een gesprek voeren met Nederlandstaligen. U kunt over veel "
                 "onderwerpen duidelijk vertellen en uw mening uitleggen."),
        "C1": N_("U kunt vlot en spontaan praten, zonder veel naar woorden te zoeken. U "
                 "gebruikt de taal goed voor uw werk, uw studie en uw contacten."),
    },
}


def level_name(level: str) -> str:
    """The msgid naming ``level`` ("lager dan A1"), or the code itself (A1..C1 need no
    translation). An unknown code is returned as it is."""
    return _LEVEL_NAMES.get(level, level)


def skill_name(skill: str) -> str:
    """The msgid of the skill's name (Lezen, Luisteren, Schrijven, Spreken)."""
    return SKILL_LABELS[skill]


def meaning(skill: str, level: str) -> str | None:
    """The msgid saying what ``level`` means for ``skill`` in everyday words; None for a skill or
    level this module does not describe (a report then shows the level alone)."""
    return MEANINGS.get(skill, {}).get(level)


def known(skill: str, level: str) -> bool:
    return skill in SKILLS and level in LEVELS
