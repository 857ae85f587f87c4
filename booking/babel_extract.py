"""A Babel extractor for choices.toml: each answer's words are patient-facing text to translate."""

import tomllib


def extract_toml_choices(fileobj, keywords, comment_tags, options):
    """Yield (line, funcname, message, comments) for every value in the file, as pybabel expects."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for group, answers in data.items():
        for key, words in answers.items():
            yield 0, "gettext", words, [f"choices.toml [{group}] {key}"]
