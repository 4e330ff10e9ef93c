"""`python -m pipeline.bench JSON`: a benchmark child process (started by `processes`, not by hand)."""
import json
import sys

from .passes import serve_child

if __name__ == "__main__":
    serve_child(json.loads(sys.argv[1]))
