"""The word lists of the tone features (stance markers, evaluation, attribution, ...);
what each list measures and why is tabulated in :mod:`research.tone.features`."""

from __future__ import annotations

__all__ = ["ATTRIBUTION", "BOOSTERS", "CAUSAL", "COMPARATIVES", "CONJ_OPENERS", "CONTRAST", "DATE_WORDS", "DEMONSTRATIVES", "EVAL_NEG", "EVAL_POS", "FUTURE", "HEDGES", "IMPERATIVE_OPENERS", "IMPORTANCE", "MODALS", "MONTHS", "NEGATION", "OBLIGATION", "PAST", "PRESENT", "PRON_I", "PRON_THIRD", "PRON_WE", "PRON_YOU", "STANCE_ADVERBS", "SUBJECTIVE", "SUPERLATIVES"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PRON_I = _words("i me my mine myself i'm i've i'd i'll")
PRON_WE = _words("we us our ours ourselves we're we've we'd we'll let's")
PRON_YOU = _words("you your yours yourself yourselves you're you've you'd you'll")
PRON_THIRD = _words("he she they him her them his hers their theirs himself herself themselves "
                    "he's she's they're they've")
MODALS = _words("can could may might must shall should will would ought can't cannot couldn't "
                "mustn't shouldn't won't wouldn't 'll")
OBLIGATION = _words("must should ought mustn't shouldn't")
FUTURE = _words("will shall won't 'll i'll we'll you'll he'll she'll they'll it'll")
HEDGES = _words("perhaps maybe possibly probably likely unlikely seem seems seemed seemingly "
                "appear appears apparently arguably somewhat presumably conceivably supposedly "
                "suggest suggests might perchance roughly partly largely mostly")
BOOSTERS = _words("very really extremely truly clearly obviously undoubtedly certainly indeed "
                  "highly deeply absolutely surely definitely undeniably entirely totally utterly "
                  "completely incredibly remarkably profoundly immensely hugely greatly so too "
                  "particularly especially exceptionally vastly")
SUPERLATIVES = _words("best worst greatest biggest largest highest lowest strongest weakest "
                      "finest brightest deepest toughest hardest easiest richest poorest "
                      "smartest wisest bravest boldest fastest safest latest")
EVAL_POS = _words(
    "good better best great greater greatest excellent outstanding remarkable impressive "
    "exceptional extraordinary wonderful fantastic brilliant superb splendid magnificent "
    "strong stronger strongest robust successful success successes succeed succeeded positive "
    "bright brighter promising prosperous prosperity thriving thrive flourishing flourish "
    "vibrant resilient resilience stable stability peaceful progress achievement achievements "
    "accomplishment accomplishments benefit benefits beneficial valuable constructive fruitful "
    "productive effective innovative visionary historic landmark milestone enduring lasting "
    "trusted reliable committed commitment dedication determination determined proud pride "
    "hope hopeful optimism optimistic opportunity opportunities friendship friendly welcome "
    "welcomed celebrate celebrated praise praised admire admirable honour honor generous "
    "generosity improve improved improvement improvements strengthen strengthening "
    "strengthened empower healthy safer win-win winning victory triumph ideal excellence "
    "leading leadership renowned respected esteemed cherished pioneering transformative "
    "seamless harmonious harmony cordial warm unity solidarity bold courageous wise")
EVAL_NEG = _words(
    "bad worse worst poor terrible awful horrible dreadful disastrous disaster catastrophe "
    "catastrophic failure failures failed fail fails failing wrong mistake mistakes crisis "
    "chaos chaotic corrupt corruption weak weaker weakness dangerous danger harmful harm "
    "damage damaging hostile hostility mistrust distrust troubled problem problems "
    "problematic difficult difficulty difficulties blame blamed shameful shame humiliation "
    "humiliating absurd ridiculous outrageous outrage scandal scandalous incompetent reckless "
    "irresponsible cynical hypocrisy hypocritical lies lying fraud unfair unjust injustice "
    "cruel brutal brutality anger angry fear fears sad tragic tragedy decline collapse "
    "deteriorated deteriorating worsen worsening bleak grim dismal fraught bickering "
    "insignificant useless pointless flawed misguided doomed toxic divisive shocking "
    "appalling alarming deplorable disgraceful pathetic miserable worthless failing "
    "unacceptable inept chaos turmoil mess setback setbacks threat threats threaten "
    "threatening detrimental painful bitter stupid foolish naive")
SUBJECTIVE = _words(
    "absurd amazing amazingly appalling astonishing awesome awful beautiful beloved bizarre "
    "blatant breathtaking charming cheap clumsy cute dazzling delicious delight delightful "
    "disappointing disappointed disgusting dreadful dull dumb elegant embarrassing embarrassed "
    "exciting excited fabulous fascinating fun funny glorious gorgeous hilarious horrific "
    "incredible insane lovely lucky marvellous marvelous mediocre nasty nice obnoxious odd "
    "perfect perfectly pleasant pretty ridiculous scary silly sleek smart spectacular strange "
    "stunning superb terrific tragic ugly unbelievable unfortunate weird worthy boring "
    "crazy dire grotesque heartbreaking hideous idiotic infuriating irritating laughable "
    "lousy magical mighty monstrous nightmare nonsense notorious obscene pathetic petty "
    "pitiful preposterous sensational shameless sham farce hoax shocking sinister sloppy "
    "smug spiteful stellar sublime tasty thrilling tremendous vile vulgar wicked woeful "
    "wretched love loves loved hate hates hated adore despise enjoy enjoyed enjoying "
    "worry worried regret wish hopefully sadly fortunately unfortunately frankly honestly "
    "thankfully luckily ironically admittedly mercifully shockingly tragically "
    "disgracefully regrettably alas whopping huge massive staggering astonishingly "
    "desperately desperate painfully bravely heroic hero heroes villain evil "
    "so-called regime thugs thug elites propaganda disgrace fiasco debacle travesty "
    "nonsense rubbish outrageously brutally fiercely bitterly savage savagely")
STANCE_ADVERBS = _words("sadly fortunately unfortunately frankly honestly thankfully luckily "
                        "ironically admittedly mercifully hopefully surely clearly obviously "
                        "undoubtedly arguably certainly naturally evidently regrettably "
                        "tragically curiously interestingly importantly crucially notably "
                        "rightly wrongly")
COMPARATIVES = _words("better worse greater bigger larger higher lower stronger weaker "
                      "harder easier richer poorer smarter wiser safer tougher deeper")
DEMONSTRATIVES = _words("this that these those such")
IMPORTANCE = _words("important significant crucial vital essential pivotal indispensable "
                    "instrumental fundamental critical paramount central notable considerable "
                    "key major unprecedented")
NEGATION = _words("not no never nor neither none nobody nothing nowhere cannot n't without")
CONTRAST = _words("but however yet although though nevertheless nonetheless whereas instead "
                  "despite conversely rather unlike while")
CAUSAL = _words("because therefore thus hence consequently accordingly so since")
PRESENT = _words("is are am has have does do isn't aren't hasn't haven't doesn't don't")
PAST = _words("was were had did wasn't weren't hadn't didn't")
ATTRIBUTION = _words("said says say told tells according added adds stated states announced "
                     "confirmed confirms claimed claims explained noted insisted warned "
                     "denied reported reports spokesman spokeswoman spokesperson quoted "
                     "commented remarked acknowledged revealed disclosed declared")
IMPERATIVE_OPENERS = _words("let let's consider imagine remember think look take make stop give "
                            "don't do be keep ask note forget try join read watch vote "
                            "recall support demand")
CONJ_OPENERS = _words("and but so yet or nor")
MONTHS = _words("january february march april may june july august september october "
                "november december jan feb mar apr jun jul aug sep sept oct nov dec")
DATE_WORDS = _words("monday tuesday wednesday thursday friday saturday sunday yesterday "
                    "today tomorrow tonight weekend")
