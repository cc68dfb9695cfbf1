"""From input records to classify records: validation, the saved model, persistence.

- ``Classifier.load(directory)`` reads ``model.skops`` + ``metadata.json`` (checking the
  scikit-learn version recorded) and ``Classifier.classify(records)`` returns one output
  record per input record (the input keys plus ``relevant``, ``relevance_score``,
  ``themes``, ``theme_scores``, ``sentiment``, ``sentiment_scores``, ``explanations``,
  and, when ``classifier.localities`` is installed, ``provinces``, ``provinces_current``,
  ``ministries``, ``ministries_current``).
- ``check_record(obj)`` says what is wrong with an input record (``RecordError``).
- ``save_model(model, directory, ...)`` writes the model files and metadata.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from classifier.explain import Explainer
from classifier.features import Doc, prepare, to_matrix
from classifier.models import Model, Settings

MODEL_DIR = Path(__file__).with_name("models")
MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
MODEL_DIR_ENV = "REFORMWATCH_MODEL_DIR"
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")
LOCALITY_KEYS = ("provinces", "provinces_current", "ministries", "ministries_current")


class ModelError(RuntimeError):
    """The saved model is missing, unreadable or made by an incompatible library version."""


class RecordError(ValueError):
    """An input record that cannot be classified (the message says why)."""


def check_record(obj: Any) -> tuple[str, str]:
    """(title, text) of a valid input record, else ``RecordError`` naming the problem."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    missing = [k for k in ("id", "text") if k not in obj]
    if missing:
        raise RecordError(f"missing key(s): {', '.join(missing)}")
    text, title = obj["text"], obj.get("title")
    if not isinstance(text, str):
        raise RecordError(f"'text' must be a string, got {type(text).__name__}")
    if not text.strip():
        raise RecordError("empty 'text'")
    if title is not None and not isinstance(title, str):
        raise RecordError(f"'title' must be a string, got {type(title).__name__}")
    return title or "", text


def _versions() -> dict[str, str]:
    import sklearn
    import skops

    try:
        from importlib.metadata import version

        uts = version("underthesea")
    except Exception:  # pragma: no cover
        uts = "unknown"
    return {"scikit-learn": sklearn.__version__, "skops": skops.__version__, "underthesea": uts,
            "numpy": np.__version__}


def _compatible(built: str, installed: str) -> bool:
    return built.split(".")[:2] == installed.split(".")[:2]


def lexicon_sha256() -> str:
    from classifier.features import LEXICON_PATH

    return hashlib.sha256(LEXICON_PATH.read_bytes()).hexdigest()


def model_version(fingerprint: str, settings: Settings) -> str:
    """``clf-`` + 12 hex: changes with the training data, the settings, the lexicon, scikit-learn's minor version."""
    import sklearn

    blob = json.dumps([fingerprint, settings.as_dict(), lexicon_sha256(), sklearn.__version__.split(".")[:2]],
                      sort_keys=True)
    return "clf-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def save_model(model: Model, directory: str | os.PathLike, *, fingerprint: str, sizes: dict,
               cv_scores: Optional[dict] = None, extra: Optional[dict] = None) -> dict:
    """Write ``model.skops`` and ``metadata.json`` into ``directory``; returns the metadata."""
    import skops.io as sio

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"relevance": model.relevance, "themes": dict(model.themes), "sentiment": model.sentiment}
    if model.sentiment_other is not None:
        payload["sentiment_other"] = model.sentiment_other
    if model.relevance_stack is not None:
        payload["relevance_stack"] = model.relevance_stack
        payload["stack_themes"] = dict(model.stack_themes)
    # skops writes a dict entry by entry into its JSON schema (hundreds of MB for n-gram
    # vocabularies): store each vocabulary as one array of terms instead, rebuilt on load.
    vectorizers = _vectorizers(model.features)
    saved = {name: est.vocabulary_ for name, est in vectorizers.items()}
    payload["vocabularies"] = {name: _terms_array(v) for name, v in saved.items()}
    tmp = directory / (MODEL_FILE + ".tmp")
    try:
        for est in vectorizers.values():
            est.vocabulary_ = {}
        sio.dump(payload, tmp, compression=8)  # zipfile.ZIP_DEFLATED
    finally:
        for name, est in vectorizers.items():
            est.vocabulary_ = saved[name]
    os.replace(tmp, directory / MODEL_FILE)
    meta = {
        "model_version": model_version(fingerprint, model.settings),
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "training_data_fingerprint": fingerprint,
        "lexicon_sha256": lexicon_sha256(),
        "sizes": sizes,
        "libraries": _versions(),
        "hyper_parameters": model.settings.as_dict(),
        "relevance_threshold": model.relevance_threshold,
        "theme_thresholds": model.theme_thresholds,
        "cv_scores": cv_scores or {},
        "model_file_bytes": (directory / MODEL_FILE).stat().st_size,
        "model_file_sha256": hashlib.sha256((directory / MODEL_FILE).read_bytes()).hexdigest(),
    }
    meta.update(extra or {})
    (directory / METADATA_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return meta


def _vectorizers(ct) -> dict:
    return {name: est for name, est, _ in ct.transformers_ if isinstance(getattr(est, "vocabulary_", None), dict)}


def _terms_array(vocabulary: dict) -> np.ndarray:
    terms = [""] * len(vocabulary)
    for term, i in vocabulary.items():
        terms[int(i)] = term
    return np.asarray(terms, dtype=str)


def default_model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or MODEL_DIR)


def load_model(directory: str | os.PathLike | None = None) -> tuple[Model, dict]:
    """The saved model and its metadata; ``ModelError`` with what to do when it cannot be used."""
    import sklearn
    import skops.io as sio

    directory = Path(directory) if directory else default_model_dir()
    meta_path, model_path = directory / METADATA_FILE, directory / MODEL_FILE
    if not meta_path.is_file() or not model_path.is_file():
        raise ModelError(f"{directory}: no trained model ({MODEL_FILE} + {METADATA_FILE}): run `reformwatch train`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        built = meta["libraries"]["scikit-learn"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{meta_path}: unreadable metadata ({exc}): run `reformwatch train`") from None
    if not _compatible(built, sklearn.__version__):
        raise ModelError(f"model built with scikit-learn {built}, installed {sklearn.__version__}: "
                         "run `reformwatch train`")
    try:
        untrusted = sio.get_untrusted_types(file=model_path)
        foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if foreign:
            raise ModelError(f"{model_path}: unexpected object types {foreign}; refusing to load")
        payload = sio.load(model_path, trusted=untrusted)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"{model_path}: cannot load ({exc}): run `reformwatch train`") from None
    settings = Settings.from_dict(meta.get("hyper_parameters") or {})
    features = payload["relevance"].named_steps["features"]
    for name, est in _vectorizers(features).items():
        est.vocabulary_ = {t: i for i, t in enumerate(payload["vocabularies"][name].tolist())}
    model = Model(
        relevance=payload["relevance"], themes=dict(payload["themes"]), sentiment=payload["sentiment"],
        sentiment_other=payload.get("sentiment_other"),
        relevance_stack=payload.get("relevance_stack"),
        stack_themes=dict(payload.get("stack_themes") or {}),
        relevance_threshold=float(meta["relevance_threshold"]),
        theme_thresholds={k: float(v) for k, v in meta["theme_thresholds"].items()},
        settings=settings,
    )
    return model, meta


def _locate_function():
    """``classifier.localities.locate`` when the locality engine is installed, else None.

    The single integration point with issue 4: every output record gets the four
    locality keys from it.
    """
    try:
        from classifier.localities import locate  # type: ignore
    except ImportError:
        return None
    return locate


class Classifier:
    """A loaded model ready to classify records."""

    def __init__(self, model: Model, metadata: Optional[dict] = None, *, localities: bool = True) -> None:
        self.model = model
        self.metadata = metadata or {}
        self.version = self.metadata.get("model_version", "unsaved")
        self.explainer = Explainer(model)
        self.locate = _locate_function() if localities else None

    @classmethod
    def load(cls, directory: str | os.PathLike | None = None, **kw) -> "Classifier":
        model, meta = load_model(directory)
        return cls(model, meta, **kw)

    def classify_docs(self, docs: Sequence[Doc]) -> list[dict]:
        """Labels, scores and explanations for prepared documents."""
        if not docs:
            return []
        X = self.model.features.transform(to_matrix(docs)).tocsr()
        Z = self.model.stack_inputs(docs, X)
        preds = self.model.predict_docs(docs, X, Z)
        for i, p in enumerate(preds):
            p["explanations"] = self.explainer.explain(X[i], p, None if Z is None else Z[i])
        return preds

    def classify(self, records: Iterable[dict]) -> list[dict]:
        """Output records (input keys kept) for valid input records (see ``check_record``)."""
        records = list(records)
        pairs = [check_record(r) for r in records]
        docs = [prepare(title, text) for title, text in pairs]
        out = []
        for rec, (title, text), labels in zip(records, pairs, self.classify_docs(docs)):
            result = dict(rec)
            result.update(labels)
            if self.locate is not None:
                result.update(self._localities(title, text, rec))
            out.append(result)
        return out

    def _localities(self, title: str, text: str, rec: dict) -> dict:
        try:
            url, published = rec.get("url"), rec.get("published")
            loc = self.locate(title, text, url=str(url) if url else None,
                              published=str(published) if published else None)
        except Exception as exc:  # a locality failure must not lose the classification
            import logging

            logging.getLogger(__name__).warning("localities failed for %s: %s", rec.get("id"), exc)
            return {}
        return {k: loc.get(k, []) for k in LOCALITY_KEYS}
