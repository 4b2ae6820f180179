import pytest

from geometry import errors


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def test_input_errors_are_value_errors_with_a_4xx_status() -> None:
    exc = errors.InputError("bad", filename="x.stl")
    assert isinstance(exc, ValueError)
    assert isinstance(exc, errors.CspmsError)
    assert exc.expected
    assert 400 <= exc.http_status < 500
    assert exc.to_dict() == {"code": "input_error", "message": "bad", "details": {"filename": "x.stl"}}


def test_not_found_is_a_lookup_error_and_storage_an_os_error() -> None:
    with pytest.raises(LookupError):
        raise errors.NotFoundError("gone")
    with pytest.raises(OSError):
        raise errors.StorageError("full")


def test_every_error_class_has_its_own_stable_code() -> None:
    import configurator.options  # noqa: F401  (registers domain subclasses)

    classes = [errors.CspmsError, *_all_subclasses(errors.CspmsError)]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), codes
