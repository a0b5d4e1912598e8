"""Dependencies other domains' routes share: the app's skill-profile embedder."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from crewline.people.embedding import Embedder


def get_embedder(request: Request) -> Embedder:
    """The app's skill-profile embedder (loaded once in ``create_app``)."""
    embedder: Embedder = request.app.state.embedder
    return embedder


EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
