"""The API's typed records, one module per domain: request bodies (``…In``) and responses (``…Out``).

Routes annotate their return type with a response model, so FastAPI validates what leaves and OpenAPI documents
it. Most responses map a domain record or the domain's plain JSON (``to_json``/``to_dict``) one to one; the
models say what its keys are, and never change the JSON the domain writes (times stay ``isoformat()`` strings,
keys the domain leaves out stay out: ``common``)."""
