"""The judge on the field cases, with the real model loaded once per session."""

import numpy as np
import pytest

import similarity.judge as judge_module
from similarity.embedding import embed_texts, get_encoder
from similarity.judge import embedding_text, judge_candidates, judge_pair, judge_pairs
from similarity.types import QuestionText, Verdict

VIGNETTE = (
    "A 58-year-old man comes to the emergency department because of crushing chest pain "
    "that began two hours ago while he was shovelling snow outside his house. The pain "
    "radiates to his left arm and jaw and is accompanied by sweating, nausea and shortness "
    "of breath. He has a history of hypertension, type 2 diabetes mellitus and "
    "hyperlipidaemia, for which he takes lisinopril, metformin and atorvastatin, although he "
    "admits that he often forgets his evening doses. He has smoked one pack of cigarettes "
    "daily for thirty years and drinks two or three beers on most weekends. His father died "
    "of a heart attack at the age of sixty, and his older brother had bypass surgery last "
    "year. On arrival he appears anxious and pale and is clutching his chest with his right "
    "hand. His temperature is normal, his pulse is rapid and regular, his blood pressure is "
    "elevated in both arms, and his respirations are shallow and fast. Examination of the "
    "neck shows no jugular venous distension, and the trachea is central. Auscultation of "
    "the lungs reveals faint crackles at both bases, while the heart sounds are regular with "
    "a soft fourth sound and no murmur. The abdomen is soft and not tender, and there is no "
    "swelling of the legs or ankles. Peripheral pulses are present and equal in all four "
    "limbs. An electrocardiogram taken within ten minutes of arrival shows new changes in "
    "several of the inferior leads, and a bedside blood sample has been sent to the "
    "laboratory for cardiac markers, a full blood count and electrolytes. A portable chest "
    "radiograph is being arranged, and the nurse has placed an intravenous line in his left "
    "forearm while the team reviews his previous records and the medication list brought in "
    "by his wife, who is waiting outside the resuscitation room with their daughter."
)


@pytest.fixture(scope="session")
def judge():
    get_encoder()

    def run(a: QuestionText | str, b: QuestionText | str) -> Verdict:
        a = a if isinstance(a, QuestionText) else QuestionText(a)
        b = b if isinstance(b, QuestionText) else QuestionText(b)
        vectors = embed_texts([embedding_text(a), embedding_text(b)]).vectors
        return judge_pair(a, b, a_vector=vectors[0], b_vector=vectors[1])

    return run


def test_dropping_not_from_the_stem_is_a_different_question(judge):
    verdict = judge(
        "Which of the following is NOT a noble gas?", "Which of the following is a noble gas?"
    )

    assert verdict.label == "different"
    assert verdict.reasons[0] == "negation: NOT only in the new question"
    assert verdict.score < verdict.cosine
    assert not verdict.low_confidence


def test_adding_not_to_an_explanation_prompt_is_not_a_duplicate(judge):
    verdict = judge(
        "Explain why the reaction is exothermic.", "Explain why the reaction is not exothermic."
    )

    assert verdict.label == "different"
    assert verdict.reasons[0] == "negation: NOT only in the existing question"


def test_other_numbers_in_a_product_make_a_variant(judge):
    verdict = judge("What is 7 x 8?", "What is 6 x 9?")

    assert verdict.label == "variant"
    assert verdict.reasons[0] == "numbers differ: 7, 8 vs 6, 9"


def test_other_numbers_in_a_word_problem_make_a_variant(judge):
    verdict = judge(
        "A train travels 120 km in 2 hours. What is its average speed?",
        "A train travels 150 km in 3 hours. What is its average speed?",
    )

    assert verdict.label == "variant"
    assert verdict.reasons[0] == "numbers differ: 120, 2 vs 150, 3"
    assert verdict.score < 0.5


def test_another_ordinal_makes_a_variant(judge):
    verdict = judge(
        "In which year did the First World War end?", "In which year did the Second World War end?"
    )

    assert verdict.label == "variant"
    assert verdict.reasons[0] == "ordinals differ: first vs second"


def test_same_template_with_another_organelle_is_a_variant(judge):
    verdict = judge(
        "Which of the following best describes the role of the chloroplast?",
        "Which of the following best describes the role of the lysosome?",
    )

    assert verdict.label == "variant"
    assert verdict.reasons[0] == "same template, different terms: chloroplast vs lysosome"


def test_paraphrase_of_the_powerhouse_question_is_a_duplicate(judge):
    verdict = judge(
        "Which organelle is known as the powerhouse of the cell?",
        "What part of the cell is called its powerhouse?",
    )

    assert verdict.label == "duplicate"
    assert verdict.score >= 0.8
    assert verdict.reasons == (f"wording similarity {verdict.cosine:.2f}",)


def test_generic_stem_with_unrelated_inline_options_is_different(judge):
    verdict = judge(
        "Which of the following statements is true? A) Water boils at 50 C at sea level "
        "B) The Moon is a planet C) Sound travels faster in steel than in air D) Iron is a "
        "noble gas",
        "Which of the following statements is true? A) Mitochondria make proteins B) Paris is "
        "the capital of France C) 2 is an odd number D) Bats are birds",
    )

    assert verdict.label == "different"
    assert verdict.reasons[0] == "stems match but options are unrelated"


def test_reordered_inline_options_are_a_duplicate(judge):
    verdict = judge(
        "What is the chemical symbol for sodium? A) S B) Na C) So D) N",
        "What is the chemical symbol for sodium? A) Na B) N C) S D) So",
    )

    assert verdict.label == "duplicate"
    assert verdict.reasons == ("identical after normalisation", "options reordered")


def test_reordered_options_with_the_same_answer_are_a_duplicate(judge):
    verdict = judge(
        QuestionText("What is the chemical symbol for sodium?", ("S", "Na", "So", "N"), 1),
        QuestionText("What is the chemical symbol for sodium?", ("Na", "N", "S", "So"), 0),
    )

    assert verdict == Verdict(
        "duplicate",
        1.0,
        verdict.cosine,
        ("identical after normalisation", "options reordered, same correct answer"),
    )


def test_shared_long_case_with_another_final_question_is_different(judge):
    first = f"{VIGNETTE} What is the most likely diagnosis?"
    second = f"{VIGNETTE} What is the best first treatment?"
    encoded = embed_texts([first, second])

    verdict = judge(first, second)

    assert len(VIGNETTE.split()) >= 300
    assert encoded.truncated == [True, True]
    assert verdict.cosine > 0.99
    assert verdict.label == "different"
    assert verdict.reasons[0] == "shared passage, final question differs"


def test_shared_long_case_with_a_reworded_final_question_stays_a_duplicate(judge):
    verdict = judge(
        f"{VIGNETTE} What is the most likely diagnosis?",
        f"{VIGNETTE} Which diagnosis is the most likely?",
    )

    assert verdict.label == "duplicate"


def test_curly_apostrophe_is_an_exact_duplicate(judge):
    verdict = judge("Qu’est-ce que la caféine ?", "Qu'est-ce que la caféine ?")

    assert verdict.label == "duplicate"
    assert verdict.score == 1.0
    assert verdict.reasons == ("identical after normalisation",)


def test_full_width_arithmetic_is_an_exact_duplicate(judge):
    verdict = judge("２＋２＝？", "2+2=?")

    assert (verdict.label, verdict.reasons) == ("duplicate", ("identical after normalisation",))


def test_markup_does_not_hide_an_exact_duplicate(judge):
    verdict = judge(
        "<p>What is the <b>boiling point</b> of water at sea level?</p>",
        "What is the boiling point of water at sea level?",
    )

    assert (verdict.label, verdict.reasons) == ("duplicate", ("identical after normalisation",))


def test_text_in_another_script_is_low_confidence_and_never_a_duplicate_by_wording(judge):
    verdict = judge("下列哪一种气体是惰性气体？", "下列哪一种气体不是惰性气体？")

    assert verdict.low_confidence
    assert verdict.label != "duplicate"
    assert verdict.reasons[-1] == (
        "Han script: the model reads it poorly, so wording similarity is not trusted "
        "(set MULTILINGUAL_MODEL to compare such text)"
    )


def test_text_in_another_script_still_matches_exactly_after_normalisation(judge):
    verdict = judge("Что такое фотосинтез?", "что  такое фотосинтез ?")

    assert verdict == Verdict("duplicate", 1.0, verdict.cosine, ("identical after normalisation",))


def test_multilingual_model_replaces_wording_similarity_for_other_scripts(judge, monkeypatch):
    monkeypatch.setattr(judge_module, "_multilingual_cosine", lambda a, b: 0.97)

    verdict = judge("Какой газ является благородным?", "Назовите благородный газ.")

    assert not verdict.low_confidence
    assert verdict.label == "duplicate"
    assert verdict.reasons == (
        "wording similarity 0.97",
        "Cyrillic script: compared with the multilingual model",
    )


def test_same_options_with_another_correct_answer_are_not_a_duplicate(judge):
    planets = ("Mercury", "Venus", "Jupiter", "Mars")
    verdict = judge(
        QuestionText("Which planet in the solar system is the largest?", planets, 2),
        QuestionText("Which planet in the solar system is the smallest?", planets, 0),
    )

    assert verdict.label == "different"
    assert verdict.reasons[:2] == (
        "opposite terms: largest vs smallest",
        'correct answers differ: "Jupiter" vs "Mercury"',
    )


def test_negated_stem_with_the_same_answer_among_the_same_options_is_a_duplicate(judge):
    elements = ("sodium", "zinc", "fluorine", "calcium")
    verdict = judge(
        QuestionText("All of the following elements are metals EXCEPT", elements, 2),
        QuestionText("Which one of these elements is a nonmetal?", elements, 2),
    )

    assert verdict.label == "duplicate"
    assert verdict.reasons[0] == 'same correct answer: "fluorine"'


def test_open_rewording_with_the_answer_of_the_multiple_choice_question_is_a_duplicate(judge):
    verdict = judge(
        QuestionText(
            "Which process changes liquid water into water vapor?",
            ("condensation.", "evaporation.", "precipitation."),
            1,
        ),
        QuestionText("What process turns liquid water into vapor?", (), "Evaporation"),
    )

    assert verdict.label == "duplicate"
    assert verdict.reasons[0] == 'same correct answer: "evaporation."'


def test_word_problem_asking_for_another_quantity_is_different(judge):
    story = "Sam buys 4 boxes of pens with 12 pens in each box and gives 10 pens away."
    verdict = judge(
        QuestionText(f"{story} How many pens does he have left?", (), "38"),
        QuestionText(f"{story} How many pens did he buy?", (), "48"),
    )

    assert verdict.label != "duplicate"
    assert 'correct answers differ: "38" vs "48"' in verdict.reasons


def test_empty_stem_is_never_a_duplicate(judge):
    verdict = judge("<p></p>", "<p></p>")

    assert verdict == Verdict("different", 0.0, verdict.cosine, ("no text to compare",))


def test_same_generic_stem_with_unrelated_options_is_different_not_a_variant(judge):
    verdict = judge(
        QuestionText(
            "Which of the following statements about lipids is correct?",
            (
                "Lipids are soluble in water.",
                "Triglycerides store energy in adipose tissue.",
                "Cholesterol is a protein.",
                "Phospholipids contain no phosphate.",
            ),
            1,
        ),
        QuestionText(
            "Which of the following statements about meiosis is correct?",
            (
                "It produces four haploid cells.",
                "It occurs only in bacteria.",
                "It makes identical diploid cells.",
                "It has a single division.",
            ),
            0,
        ),
    )

    assert verdict.label == "different"
    assert verdict.reasons[0] == "options are unrelated"


def test_other_questions_that_both_hold_numbers_are_different_not_a_variant(judge):
    verdict = judge(
        "What is the empirical formula of a compound that is 51.9% carbon, 4.86% hydrogen and "
        "43.2% bromine?",
        "A sample of a compound of carbon, hydrogen and oxygen has a mass of 29.05 g, of which "
        "18.02 g is carbon and 3.03 g hydrogen. What is its empirical formula?",
    )

    assert verdict.label == "different"
    assert verdict.reasons[0].startswith("no shared template: word order agrees 0.")
    assert verdict.reasons[1] == "numbers differ: 51.9, 4.86, 43.2 vs 29.05, 18.02, 3.03"


def test_other_numbers_with_options_rebuilt_for_them_stay_a_variant(judge):
    verdict = judge(
        QuestionText(
            "A car travels 120 km in 2 hours. What is its average speed?",
            ("40 km/h", "60 km/h", "80 km/h", "240 km/h"),
            1,
        ),
        QuestionText(
            "A car travels 150 km in 3 hours. What is its average speed?",
            ("30 km/h", "50 km/h", "75 km/h", "450 km/h"),
            1,
        ),
    )

    assert verdict.label == "variant"
    assert verdict.reasons[:2] == (
        "numbers differ: 120, 2 vs 150, 3",
        'correct answers differ: "60 km/h" vs "50 km/h"',
    )


def test_formulas_are_compared_as_words_not_by_their_digits(judge):
    verdict = judge("What is the molar mass of CH4?", "What is the molar mass of C2H6?")

    assert verdict.label == "variant"
    assert verdict.reasons[0] == "same template, different terms: ch4 vs c2h6"


def test_a_concentration_beside_a_formula_is_still_a_number(judge):
    verdict = judge(
        "What is the pH of a 0.10 M solution of H2SO4?",
        "What is the pH of a 0.20 M solution of H2SO4?",
    )

    assert verdict.label == "variant"
    assert verdict.reasons[0] == "numbers differ: 0.1 vs 0.2"


def test_decimal_comma_is_an_exact_duplicate_of_the_decimal_point(judge):
    verdict = judge(
        QuestionText("What is 2,5 + 2,5?", ("4,5", "5", "5,5"), 1),
        QuestionText("What is 2.5 + 2.5?", ("5", "4.5", "5.5"), 0),
    )

    assert verdict == Verdict(
        "duplicate",
        1.0,
        verdict.cosine,
        ("identical after normalisation", "options reordered, same correct answer"),
    )


def test_thousands_separator_is_not_a_decimal_comma(judge):
    verdict = judge("What is 1,500 + 2,500?", "What is 1.5 + 2.5?")

    assert verdict.label == "variant"
    assert verdict.reasons[0] == "numbers differ: 1500, 2500 vs 1.5, 2.5"


CAPITALS = ("巴黎", "伦敦", "柏林", "罗马")
REORDERED_CAPITALS = ("罗马", "柏林", "巴黎", "伦敦")


def test_same_options_and_answer_make_a_low_confidence_duplicate_in_another_script(judge):
    verdict = judge(
        QuestionText("法国的首都是哪个城市？", CAPITALS, 0),
        QuestionText("哪座城市是法国的首都？", REORDERED_CAPITALS, 2),
    )

    assert verdict.label == "duplicate"
    assert verdict.low_confidence
    assert verdict.reasons[:2] == (
        "same options and correct answer: the match rests on them, not on wording",
        'same correct answer: "巴黎"',
    )


def test_same_options_and_answer_make_a_low_confidence_duplicate_in_arabic(judge):
    verdict = judge(
        QuestionText("ما هي عاصمة فرنسا؟", ("باريس", "لندن", "برلين", "روما"), 0),
        QuestionText("أي مدينة هي عاصمة فرنسا؟", ("روما", "باريس", "لندن", "برلين"), 1),
    )

    assert (verdict.label, verdict.low_confidence) == ("duplicate", True)
    assert verdict.reasons[0] == (
        "same options and correct answer: the match rests on them, not on wording"
    )


def test_same_options_with_another_answer_in_another_script_are_not_a_duplicate(judge):
    verdict = judge(
        QuestionText("法国的首都是哪个城市？", CAPITALS, 0),
        QuestionText("哪座城市是法国的首都？", REORDERED_CAPITALS, 0),
    )

    assert verdict.label == "different"
    assert verdict.reasons[:2] == (
        "the correct answers differ",
        'correct answers differ: "巴黎" vs "罗马"',
    )


def test_two_shared_options_in_another_script_do_not_make_a_duplicate(judge):
    verdict = judge(
        QuestionText("这句话对吗？地球是圆的。", ("对", "错"), 0),
        QuestionText("这句话对吗？太阳是冷的。", ("错", "对"), 1),
    )

    assert verdict.label == "different"
    assert verdict.low_confidence


def test_stems_alone_in_another_script_are_never_a_duplicate_by_wording(judge):
    verdict = judge("法国的首都是哪个城市？", "哪座城市是法国的首都？")

    assert verdict.label == "different"
    assert verdict.low_confidence
    assert verdict.reasons[0] == "possible duplicate by wording alone, not confirmed"


def test_judge_candidates_embeds_everything_in_one_model_call(monkeypatch):
    new = QuestionText("Which gas do plants take in?", ("oxygen", "carbon dioxide"), 1)
    candidates = [
        QuestionText(f"Which gas do plants release, case {n}?", ("oxygen", f"gas {n}"), 0)
        for n in range(10)
    ]
    vectors = embed_texts([embedding_text(q) for q in [new, *candidates]]).vectors
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return embed_texts(texts)

    monkeypatch.setattr(judge_module, "embed_texts", counting)

    verdicts = judge_candidates(new, vectors[0], list(zip(candidates, vectors[1:], strict=True)))

    assert len(calls) == 1
    assert len(verdicts) == 10
    assert all(verdict.label != "duplicate" for verdict in verdicts)
    assert [v.cosine for v in verdicts] == pytest.approx(list(vectors[1:] @ vectors[0]))


def test_judge_pairs_matches_judge_pair_in_two_model_calls(judge, monkeypatch):
    pairs = [
        (QuestionText("What is 7 x 8?"), QuestionText("What is 6 x 9?")),
        (
            QuestionText("Which organelle is known as the powerhouse of the cell?"),
            QuestionText("What part of the cell is called its powerhouse?"),
        ),
    ]
    expected = [judge(a, b) for a, b in pairs]
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return embed_texts(texts)

    monkeypatch.setattr(judge_module, "embed_texts", counting)

    verdicts = judge_pairs(pairs)

    assert len(calls) <= 2
    assert [v.label for v in verdicts] == ["variant", "duplicate"]
    assert [v.reasons for v in verdicts] == [v.reasons for v in expected]
    assert [v.cosine for v in verdicts] == pytest.approx([v.cosine for v in expected], abs=1e-5)
    assert judge_pairs([]) == []


def test_embedding_text_is_the_plain_stem():
    question = QuestionText("<p>What is the <b>boiling</b>\n point?</p>", ("100 °C", "50 °C"), 0)

    assert embedding_text(question) == "What is the boiling point?"
    assert isinstance(np.zeros(1), np.ndarray)
