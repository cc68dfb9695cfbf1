"""classifier: features, training, predictions, explanations, persistence, baseline."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from classifier.corpus import Example, fingerprint, load_corpus, merge
from classifier.features import SENTIMENTS, THEMES, load_lexicon, prepare, split_title
from classifier.models import Settings, lexicon_baseline, train
from classifier.normalize import normalize_text
from classifier.pipeline import MODEL_DIR, Classifier, ModelError, load_model, save_model

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "crawler" / "demo" / "data" / "articles.json"
FAST = Settings(char=False, word_max_features=5000, inner_folds=2)


def demo_records() -> list[dict]:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    return [{"id": d["slug"], "title": d["title"], "text": "\n".join([d["title"], d.get("lead", "")] + d["paragraphs"]),
             "relevant": d["relevant"], "themes": d.get("themes") or [], "sentiment": d["sentiment"]} for d in data]


@pytest.fixture(scope="module")
def committed() -> Classifier:
    return Classifier.load(MODEL_DIR, localities=False)


@pytest.fixture(scope="module")
def small_model():
    """A tiny model trained on the demo articles (bundled, labeled)."""
    recs = demo_records()
    docs = [prepare(r["title"], r["text"]) for r in recs]
    model = train(docs, [r["relevant"] for r in recs], [r["themes"] for r in recs], [r["sentiment"] for r in recs], FAST)
    return model, recs


def test_split_title_drops_repeated_title_line():
    title, body = split_title("Cải cách hành chính ở Hoà Bình", "Cải cách hành chính ở Hòa Bình\nNội dung bài.")
    assert title == "Cải cách hành chính ở Hòa Bình" and body == "Nội dung bài."
    title, body = split_title(None, "Tiêu đề\nThân bài")
    assert (title, body) == ("Tiêu đề", "Thân bài")


def test_prepare_segments_words():
    doc = prepare("Đẩy mạnh cải cách thủ tục hành chính", "Tỉnh triển khai dịch vụ công trực tuyến toàn trình.")
    assert "thủ_tục" in doc.doc and "hành_chính" in doc.doc
    assert doc.raw.startswith("đẩy mạnh cải cách")


def test_centrality_tells_main_subject_from_passing_mention():
    from classifier.features import CENTRALITY_FEATURES, centrality_features

    main = prepare("Đẩy mạnh cải cách hành chính tại tỉnh", "Tỉnh đẩy mạnh cải cách hành chính. "
                   "Thủ tục hành chính được cắt giảm. Bộ phận một cửa giải quyết hồ sơ đúng hạn. "
                   "Dịch vụ công trực tuyến được mở rộng.")
    passing = prepare("Giải bóng đá thiếu niên khai mạc", "Giải đấu có 12 đội tham gia. Các trận đấu diễn ra "
                      "tại sân vận động tỉnh. Ban tổ chức cho biết cải cách hành chính giúp thủ tục đăng ký nhanh "
                      "hơn. Trận chung kết diễn ra vào chủ nhật. Đội chủ nhà được đánh giá cao. Khán giả được vào "
                      "sân miễn phí. Giải đấu được truyền hình trực tiếp.")
    none = prepare("Giá vàng tăng mạnh", "Giá vàng hôm nay tăng 200.000 đồng mỗi lượng.")
    a, b, c = (dict(zip(CENTRALITY_FEATURES, centrality_features(d.raw))) for d in (main, passing, none))
    assert a["reform_in_title"] == 1.0 and b["reform_in_title"] == 0.0
    assert a["relevance_in_first_sentence"] == 1.0 and b["relevance_in_first_sentence"] == 0.0
    assert a["reform_sentence_share"] > b["reform_sentence_share"] > c["reform_sentence_share"] == 0.0
    assert a["relevance_density"] > b["relevance_density"] > 0.0 == c["relevance_density"]


def test_relevance_is_stacked_and_scores_come_from_level_two(small_model):
    model, recs = small_model
    assert model.relevance_stack is not None and set(model.stack_themes) <= set(THEMES) and model.stack_themes
    docs = [prepare(r["title"], r["text"]) for r in recs[:6]]
    X = model.features.transform(__import__("classifier.features", fromlist=["to_matrix"]).to_matrix(docs))
    level1 = model.relevance.named_steps["clf"].predict_proba(X)[:, 1]
    scores = [p["relevance_score"] for p in model.predict_docs(docs)]
    assert scores == [round(float(v), 4) for v in model.relevance_proba(docs, X)]
    assert any(abs(a - b) > 1e-3 for a, b in zip(scores, level1))


def test_small_model_predictions_have_keys_and_ranges(small_model):
    model, recs = small_model
    preds = model.predict_docs([prepare(r["title"], r["text"]) for r in recs[:10]])
    assert len(preds) == 10
    for p in preds:
        assert isinstance(p["relevant"], bool)
        assert 0.0 <= p["relevance_score"] <= 1.0
        assert set(p["theme_scores"]) <= set(THEMES) and all(0 <= v <= 1 for v in p["theme_scores"].values())
        assert set(p["themes"]) <= set(p["theme_scores"])
        assert p["relevant"] or p["themes"] == []
        assert p["sentiment"] in SENTIMENTS
        assert abs(sum(p["sentiment_scores"].values()) - 1) < 1e-3
    # it learnt something: on its own training data it is mostly right
    right = sum(p["relevant"] == r["relevant"] for p, r in zip(model.predict_docs(
        [prepare(r["title"], r["text"]) for r in recs]), recs))
    assert right / len(recs) > 0.8


def test_explanations_name_terms_present_in_the_article(committed):
    recs = demo_records()[:12]
    out = committed.classify([{"id": r["id"], "title": r["title"], "text": r["text"]} for r in recs])
    seen = 0
    for rec, o in zip(recs, out):
        text = normalize_text(rec["title"] + "\n" + rec["text"]).lower()
        ex = o["explanations"]
        assert set(ex) == {"relevant", "themes", "sentiment", "relevance_factors"}
        assert set(ex["themes"]) == set(o["themes"])
        from classifier.models import STACK_INPUTS

        factors = ex["relevance_factors"]
        assert factors and all(name in STACK_INPUTS and w > 0 for name, w in factors)
        assert [w for _, w in factors] == sorted((w for _, w in factors), reverse=True)
        for terms in [ex["relevant"], ex["sentiment"], *ex["themes"].values()]:
            assert len(terms) <= 8
            weights = [w for _, w in terms]
            assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
            for term, _ in terms:
                assert "_" not in term
                assert term in " ".join(text.split()), term
                seen += 1
    assert seen > 20


def test_committed_model_on_unseen_demo_articles(committed):
    """Aggregate floor on the bundled demo articles (never used for training)."""
    recs = demo_records()
    out = committed.classify([{"id": r["id"], "title": r["title"], "text": r["text"]} for r in recs])
    rel_acc = sum(o["relevant"] == r["relevant"] for o, r in zip(out, recs)) / len(recs)
    sent_acc = sum(o["sentiment"] == r["sentiment"] for o, r in zip(out, recs)) / len(recs)
    assert rel_acc >= 0.8, rel_acc
    assert sent_acc >= 0.5, sent_acc


def test_held_out_fold_scores_above_floor(shared_dir):
    """Train on 4/5 of the corpus (fast settings), score the held-out fifth."""
    from classifier.evaluation import score

    ex = load_corpus(shared_dir / "corpus")
    test, tr = ex[::5], [e for i, e in enumerate(ex) if i % 5]
    model = train([prepare(e.title, e.text) for e in tr], [e.relevant for e in tr], [e.themes for e in tr],
                  [e.sentiment for e in tr], FAST)
    sc = score(test, model.predict_docs([prepare(e.title, e.text) for e in test]))
    assert sc.relevance["f1"] >= 0.8
    assert sc.themes_micro >= 0.6
    assert sc.sentiment_macro >= 0.55


def test_committed_metadata_is_complete():
    meta = json.loads((MODEL_DIR / "metadata.json").read_text())
    for key in ("model_version", "training_data_fingerprint", "sizes", "libraries", "hyper_parameters", "cv_scores",
                "relevance_threshold", "theme_thresholds"):
        assert key in meta
    assert set(meta["libraries"]) >= {"scikit-learn", "underthesea", "skops"}
    assert (MODEL_DIR / "model.skops").stat().st_size < 8_000_000
    assert not list(MODEL_DIR.glob("*.pkl"))


def test_incompatible_sklearn_version_is_a_clear_error(tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(MODEL_DIR, copy)
    meta = json.loads((copy / "metadata.json").read_text())
    meta["libraries"]["scikit-learn"] = "0.24.2"
    (copy / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"model built with scikit-learn 0\.24\.2, installed .*run `reformwatch train`"):
        load_model(copy)
    with pytest.raises(ModelError, match="no trained model"):
        load_model(tmp_path / "nowhere")


def test_save_and_load_round_trip(small_model, tmp_path):
    model, recs = small_model
    meta = save_model(model, tmp_path, fingerprint="f" * 64, sizes={"examples": len(recs)})
    loaded, meta2 = load_model(tmp_path)
    assert meta2["model_version"] == meta["model_version"].strip() and meta["model_version"].startswith("clf-")
    docs = [prepare(r["title"], r["text"]) for r in recs[:5]]
    assert loaded.predict_docs(docs) == model.predict_docs(docs)


def test_big_and_foreign_texts(committed):
    big = ("Cải cách thủ tục hành chính tại bộ phận một cửa. " * 45000)[:2_000_000]
    out = committed.classify([
        {"id": "big", "text": big},
        {"id": "en", "title": "Football", "text": "The match ended two to one after extra time in London."},
        {"id": "sym", "text": "!!! ??? 123"},
    ])
    assert [o["id"] for o in out] == ["big", "en", "sym"]
    assert all(0 <= o["relevance_score"] <= 1 for o in out)
    assert out[0]["relevance_score"] > out[1]["relevance_score"]
    assert out[1]["relevant"] is False and out[1]["themes"] == []


def test_fingerprint_changes_with_labels():
    a = Example("1", "t", "x", True, ["procedures"], "positive")
    b = Example("1", "t", "x", True, ["procedures"], "negative")
    assert fingerprint([a]) != fingerprint([b]) and fingerprint([a]) == fingerprint([a])
    r = Example("db:9", "t", "x", False, [], "neutral", source="review")
    assert merge([a], [r]) == [r]


def test_lexicon_and_baseline():
    lex = load_lexicon()
    assert set(lex["themes"]) == set(THEMES) and lex["positive"] and lex["negative"]
    doc = prepare("Bộ phận một cửa giải quyết hồ sơ trễ hạn", "Cải cách thủ tục hành chính còn chậm, nhiều hồ sơ trễ hạn.")
    out = lexicon_baseline(doc.raw, lex)
    assert out["relevant"] and "procedures" in out["themes"] and out["sentiment"] == "negative"
    assert lexicon_baseline(prepare("Bóng đá", "Trận đấu kết thúc.").raw, lex)["relevant"] is False


@pytest.mark.slow
def test_full_cross_validation_beats_baseline(shared_dir):
    """5-fold CV on the whole corpus (~60 s): floors, and the models beat the keyword baseline."""
    from classifier.evaluation import baseline_predict, cross_val_predict, prepare_examples, score

    ex = load_corpus(shared_dir / "corpus")
    docs = prepare_examples(ex)
    m = score(ex, cross_val_predict(ex, docs, Settings(), folds=5))
    b = score(ex, baseline_predict(docs))
    assert m.relevance["f1"] >= 0.93 and m.relevance["fpr"] <= 0.02
    assert m.themes_micro >= 0.82 and m.sentiment_macro >= 0.72
    assert m.relevance["f1"] > b.relevance["f1"] and m.relevance["fpr"] <= b.relevance["fpr"]
    assert m.themes_micro > b.themes_micro and m.themes_macro > b.themes_macro
    assert all(m.themes[c][2] > b.themes[c][2] for c in THEMES)
    assert m.sentiment_macro > b.sentiment_macro


def test_too_few_non_relevant_articles_train_without_the_stack():
    """With fewer than 2 articles of a relevance class the stack cannot be cross-validated:
    training falls back to the word model alone instead of failing."""
    docs = [prepare(f"Cải cách hành chính {i}", f"Thủ tục hành chính được cắt giảm ở xã {i}.") for i in range(6)]
    model = train(docs, [True] * 5 + [False], [["procedures"]] * 5 + [[]],
                  ["positive", "neutral", "negative"] * 2, Settings(char=False, inner_folds=2, min_df=1))
    assert model.relevance_stack is None
    out = model.predict_docs(docs)
    assert all(0.0 <= p["relevance_score"] <= 1.0 for p in out) and out[0]["relevant"] is True
