from genautoml.words import article, count


def test_counted_nouns_and_articles():
    assert count(1, "example") == "1 example" and count(2, "example") == "2 examples"
    assert count(1, "family", "families") == "1 family" and count(0, "family", "families") == "0 families"
    assert article("image") == "an image" and article("audio") == "an audio" and article("text") == "a text"
