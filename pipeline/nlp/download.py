"""`models download`: fetch Stanza's official Finnish model into models/official."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..errors import ModelDownloadError

PROCESSORS = "tokenize,pos,lemma"


def download_official(models_dir: Path | str = "models") -> Path:
    """Download into a temporary folder and move it in place only when complete."""
    import stanza

    target = Path(models_dir) / "official"
    staging = Path(tempfile.mkdtemp(prefix=".official-", dir=Path(models_dir)))
    try:
        stanza.download("fi", model_dir=str(staging), processors=PROCESSORS, logging_level="WARN")
    except Exception as err:  # requests/urllib errors, hub errors: one line for the user
        shutil.rmtree(staging, ignore_errors=True)
        reason = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise ModelDownloadError(
            f"could not download Stanza's Finnish model ({type(err).__name__}: {reason}); "
            "check network access, or keep using the committed compact model"
        ) from None
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target
