"""The official `openai` Python SDK against LLM Manager's /v1 gateway, unchanged.

Run by the end-to-end suite (web/e2e/sdk.e2e.mjs) after an admin added providers and a user
created an API key in the browser:

    OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=sk-llmm-... \
    SDK_CHAT_MODELS=fake-model,claude-fake SDK_EMBED_MODEL=fake-model \
    python tests/sdk/openai_sdk_check.py

Prints one line per check and "N passed, M failed"; exits 1 when a check failed.
"""

import os
import sys
import traceback

import openai
from openai import OpenAI

BASE_URL = os.environ["OPENAI_BASE_URL"]
API_KEY = os.environ["OPENAI_API_KEY"]
CHAT_MODELS = [m for m in os.environ.get("SDK_CHAT_MODELS", "fake-model").split(",") if m]
EMBED_MODEL = os.environ.get("SDK_EMBED_MODEL", "")

client = OpenAI(base_url=BASE_URL, api_key=API_KEY, max_retries=0, timeout=30)
results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - every failure is reported, not raised
            results.append((name, traceback.format_exc()))
            print(f"FAIL {name}\n{traceback.format_exc()}")
        return fn

    return wrap


@check("models.list() returns the models the key may use")
def _models():
    ids = {m.id for m in client.models.list()}
    for model in CHAT_MODELS:
        assert model in ids, f"{model} missing from {sorted(ids)}"


for model in CHAT_MODELS:

    @check(f"chat.completions.create({model}) answers with usage")
    def _chat(model=model):
        res = client.chat.completions.create(
            model=model,
            messages=[
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "hello from the sdk"},
            ],
            temperature=0.2,
            max_tokens=50,
        )
        assert res.object == "chat.completion", res
        assert res.model == model, res.model
        text = res.choices[0].message.content
        assert "hello from the sdk" in text, text
        assert res.choices[0].finish_reason == "stop", res.choices[0].finish_reason
        assert res.usage.prompt_tokens > 0 and res.usage.completion_tokens > 0, res.usage
        assert res.usage.total_tokens == res.usage.prompt_tokens + res.usage.completion_tokens

    @check(f"chat.completions.create({model}, stream=True) streams chunks and usage")
    def _stream(model=model):
        stream = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "stream this please"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces, finish, usage, chunks = [], None, None, 0
        for chunk in stream:
            chunks += 1
            assert chunk.object == "chat.completion.chunk", chunk
            if chunk.choices:
                delta = chunk.choices[0].delta
                if delta.content:
                    pieces.append(delta.content)
                finish = chunk.choices[0].finish_reason or finish
            if chunk.usage:
                usage = chunk.usage
        text = "".join(pieces)
        assert "stream this please" in text, text
        assert chunks > 3, f"only {chunks} chunks: not streamed"
        assert finish == "stop", finish
        assert usage is not None and usage.completion_tokens > 0, usage


if EMBED_MODEL:

    @check(f"embeddings.create({EMBED_MODEL}) returns one vector per input")
    def _embeddings():
        res = client.embeddings.create(model=EMBED_MODEL, input=["first text", "second text"])
        assert len(res.data) == 2, res
        assert res.data[1].index == 1
        assert len(res.data[0].embedding) > 0
        assert all(isinstance(x, float) for x in res.data[0].embedding)


@check("an unknown model raises NotFoundError with code model_not_found")
def _unknown():
    try:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    except openai.NotFoundError as e:
        assert e.code == "model_not_found", e.code
    else:
        raise AssertionError("no error raised")


@check("a wrong API key raises AuthenticationError")
def _bad_key():
    bad = OpenAI(base_url=BASE_URL, api_key="sk-llmm-wrong", max_retries=0)
    try:
        bad.models.list()
    except openai.AuthenticationError as e:
        assert e.code == "invalid_api_key", e.code
    else:
        raise AssertionError("no error raised")


failed = sum(1 for _, err in results if err)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
