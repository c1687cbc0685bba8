from similarity.normalize import (
    comparison_key,
    fold_decimal_commas,
    has_content,
    normalize_text,
    question_fingerprint,
    strip_markup,
)


def test_curly_and_straight_apostrophes_normalise_alike():
    assert normalize_text("Qu’est-ce que la caféine ?") == normalize_text(
        "Qu'est-ce que la caféine ?"
    )
    assert normalize_text("Qu’est-ce que la caféine ?") == "qu'est-ce que la caféine?"


def test_full_width_digits_and_symbols_fold_to_ascii():
    assert comparison_key("２＋２＝？") == comparison_key("2+2=?") == "2+2="


def test_decomposed_accent_composes():
    assert normalize_text("pin\u0303ata") == normalize_text("piñata") == "piñata"


def test_markup_is_stripped_and_entities_decoded():
    assert strip_markup("<p>What is <b>5 &gt; 3</b>?</p>") == " What is  5 > 3 ? "
    assert normalize_text("<p>What is the <b>boiling point</b> of water at sea level?</p>") == (
        "what is the boiling point of water at sea level?"
    )


def test_non_breaking_and_repeated_spaces_collapse():
    assert normalize_text("2\u00a0liters  of\n water") == "2 liters of water"


def test_space_around_symbols_is_typography():
    assert normalize_text("the length of a desk ?") == "the length of a desk?"
    assert normalize_text("(∀x)(Px ⊃ ~Dx) at 25 °C") == normalize_text("(∀x)(Px⊃~Dx) at 25°C")


def test_invisible_characters_are_dropped():
    assert normalize_text("photo\u00adsynthesis\u200b") == "photosynthesis"


def test_comparison_key_ignores_final_punctuation_and_answering_instruction():
    assert comparison_key(
        "The digestion process begins in which of the following? Choose one."
    ) == ("the digestion process begins in which of the following")
    assert comparison_key("Extinction is most likely a result of:") == (
        "extinction is most likely a result of"
    )
    assert comparison_key("Which gas do plants use? (Select the best answer)") == (
        "which gas do plants use"
    )


def test_comparison_key_keeps_words_that_change_the_question():
    assert comparison_key("Which is NOT a noble gas?") != comparison_key("Which is a noble gas?")


def test_has_content_rejects_markup_and_punctuation_only():
    assert [has_content(text) for text in ["", "   ", "?", "\n\t", "<p></p>", "x"]] == [
        False,
        False,
        False,
        False,
        False,
        True,
    ]


def test_fingerprint_ignores_option_order_and_typography():
    first = question_fingerprint("What is the symbol for sodium?", ["S", "Na", "So", "N"])
    second = question_fingerprint("What is the symbol for  sodium ?", ["na", "N", "s", "SO"])

    assert first == second
    assert len(first) == 64


def test_fingerprint_changes_with_the_option_set():
    assert question_fingerprint("Which is true?", ["a", "b"]) != question_fingerprint(
        "Which is true?", ["a", "c"]
    )


def test_decimal_comma_becomes_a_decimal_point():
    assert fold_decimal_commas("2,5 + 2,5 = 5,0") == "2.5 + 2.5 = 5.0"
    assert fold_decimal_commas("0,25 mol and 12,3456 g") == "0.25 mol and 12.3456 g"


def test_thousands_lists_and_points_keep_their_commas():
    for text in ["1,000", "12,345,678", "1,2,3,4", "3, 4", "(1,2)", "[0,1]", "1,000.5"]:
        assert fold_decimal_commas(text) == text
