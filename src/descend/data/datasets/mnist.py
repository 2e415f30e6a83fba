"""MNIST and Fashion-MNIST: the standard gzipped IDX files, found on disk or downloaded once.

Where the files are looked for (the first that applies):

1. ``path``, a folder holding the four ``.gz`` files;
2. ``$DESCEND_DATA/mnist`` or ``$DESCEND_DATA/fashion-mnist`` if the environment variable
   ``DESCEND_DATA`` is set;
3. ``~/.cache/descend/mnist`` or ``~/.cache/descend/fashion-mnist``.

Missing files are downloaded (when ``download=True``) from the mirrors in
``MNIST.mirrors`` / ``FASHION_MNIST.mirrors``, in order, into a temporary file in that folder,
checked, then renamed into place; a download that fails a check is deleted. Every file is
checked completely each time it is loaded (see :mod:`descend.data.datasets.idx`):

* MNIST: the sha256 of the decompressed content, so a re-gzipped copy (like the one in this
  project's ``shared/data/mnist``) is accepted and any change to the data is not;
* Fashion-MNIST: no published sha256 of the decompressed files could be confirmed, so a file
  on disk is checked for its IDX header, its exact size and labels 0-9; a download must also
  match the md5 that Zalando Research publishes for each ``.gz`` file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from descend.data.datasets.idx import IdxFile, file_md5, read_idx

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class IdxDataset:
    """A data set shipped as four IDX files: train images and labels, test images and labels.

    Attributes:
        name: the name used in messages (``"MNIST"``).
        folder: the sub-folder of ``$DESCEND_DATA`` or ``~/.cache/descend`` it lives in.
        files: what each file must contain, in the order train images, train labels, test
            images, test labels.
        mirrors: base URLs tried in order; a file's URL is the base plus its name.

    >>> MNIST.files[0].name, MNIST.files[0].shape
    ('train-images-idx3-ubyte.gz', (60000, 28, 28))
    """

    name: str
    folder: str
    files: tuple[IdxFile, IdxFile, IdxFile, IdxFile]
    mirrors: tuple[str, ...]


def _files(
    sha256: tuple[str | None, ...], gz_md5: tuple[str | None, ...]
) -> tuple[IdxFile, IdxFile, IdxFile, IdxFile]:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    shapes = ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
    return tuple(  # type: ignore[return-value]
        IdxFile(name, shape, sha, md5, None if len(shape) == 3 else 9)
        for name, shape, sha, md5 in zip(names, shapes, sha256, gz_md5)
    )


MNIST = IdxDataset(
    name="MNIST",
    folder="mnist",
    # sha256 of the decompressed IDX files (see shared/data/mnist/README.md)
    files=_files(
        sha256=("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        gz_md5=(None, None, None, None),
    ),
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
)

FASHION_MNIST = IdxDataset(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    # md5 of the .gz files as published in github.com/zalandoresearch/fashion-mnist's README
    files=_files(
        sha256=(None, None, None, None),
        gz_md5=("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
    ),
    mirrors=("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
             "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
)

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")
"""Fashion-MNIST's class names; label ``k`` is ``FASHION_MNIST_CLASSES[k]``."""


def data_dir(dataset: IdxDataset, path: str | os.PathLike | None = None) -> Path:
    """The folder ``dataset``'s files are read from (and downloaded to).

    >>> import os
    >>> str(data_dir(MNIST, "/data/mnist"))
    '/data/mnist'
    """
    if path is not None:
        return Path(path).expanduser()
    root = os.environ.get("DESCEND_DATA")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "descend"
    return base / dataset.folder


def fetch(url: str, destination: Path, *, max_bytes: int, timeout: float = 60.0) -> None:
    """Copy ``url`` to ``destination``, raising ``OSError`` on failure or past ``max_bytes``.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a").write_bytes(b"0123456789")
    >>> fetch((folder / "a").as_uri(), folder / "b", max_bytes=100)
    >>> (folder / "b").read_bytes()
    b'0123456789'
    >>> fetch((folder / "a").as_uri(), folder / "c", max_bytes=5)
    Traceback (most recent call last):
    ...
    OSError: sent more than 5 bytes, too many for this file
    """
    import http.client  # only when downloading: these pull in ssl and email
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "descend (python urllib)"})
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(
            destination, "wb"
        ) as out:
            while chunk := response.read(1 << 20):
                received += len(chunk)
                if received > max_bytes:
                    raise OSError(f"sent more than {max_bytes} bytes, too many for this file")
                out.write(chunk)
    except http.client.HTTPException as err:  # e.g. IncompleteRead: the connection broke
        raise OSError(f"{type(err).__name__}: {err}") from None


def _download(
    dataset: IdxDataset, spec: IdxFile, folder: Path, errors: list[str]
) -> np.ndarray | None:
    """Try each mirror for ``spec``; check the download fully, then rename it into place.

    Returns the file's values, or None (with the reasons appended to ``errors``) if no mirror
    delivered a file that passes the checks.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for mirror in dataset.mirrors:
        url = mirror + spec.name
        handle, temporary = tempfile.mkstemp(prefix=f".{spec.name}.", suffix=".part", dir=folder)
        os.close(handle)
        part = Path(temporary)
        try:
            fetch(url, part, max_bytes=spec.size + (1 << 20))
            if spec.gz_md5 is not None and file_md5(part) != spec.gz_md5:
                raise ValueError(f"md5 {file_md5(part)} is not the published {spec.gz_md5}")
            values = read_idx(part, spec)
            os.replace(part, folder / spec.name)
            return values
        except (OSError, ValueError) as err:
            errors.append(f"{url}: {err}")
        finally:
            part.unlink(missing_ok=True)
    return None


def _not_found(dataset: IdxDataset, where: str, folder: Path, missing: list[str],
               errors: list[str]) -> FileNotFoundError:
    why = ("downloading failed:\n  " + "\n  ".join(errors)) if errors else (
        "download=False was given.")
    names = ", ".join(spec.name for spec in dataset.files)
    return FileNotFoundError(
        f"{where}: {dataset.name} file(s) {', '.join(missing)} are not in {folder} and "
        f"{why}\nPut the four gzipped IDX files ({names}) in {folder}, or pass path= the "
        f"folder that holds them, or set DESCEND_DATA to a folder with a {dataset.folder}/ "
        f"subfolder. Files from any {dataset.name} mirror (e.g. {dataset.mirrors[0]}) work, "
        "and so do re-gzipped copies such as a shared/data/mnist folder."
    )


def _load(
    dataset: IdxDataset, where: str, path: str | os.PathLike | None, download: bool,
    as_float: bool,
) -> Arrays:
    """Load ``dataset``'s four files (downloading missing ones); see :func:`load_mnist`."""
    folder = data_dir(dataset, path)
    missing = [spec.name for spec in dataset.files if not (folder / spec.name).is_file()]
    errors: list[str] = []
    if missing and not download:
        raise _not_found(dataset, where, folder, missing, errors)
    arrays = []
    for spec in dataset.files:
        values = (_download(dataset, spec, folder, errors) if spec.name in missing
                  else read_idx(folder / spec.name, spec))
        if values is None:
            raise _not_found(dataset, where, folder, missing, errors)
        arrays.append(values)
    x_train, y_train, x_test, y_test = arrays
    if as_float:
        x_train, x_test = (x.astype(np.float32) / np.float32(255) for x in (x_train, x_test))
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def load_mnist(
    path: str | os.PathLike | None = None, *, download: bool = True, as_float: bool = False
) -> Arrays:
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28×28 grey levels.

    Args:
        path: the folder holding (or to receive) ``train-images-idx3-ubyte.gz``,
            ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
            ``t10k-labels-idx1-ubyte.gz``. Default: ``$DESCEND_DATA/mnist``, else
            ``~/.cache/descend/mnist``.
        download: fetch missing files from the mirrors in ``MNIST.mirrors``.
        as_float: return images as float32 scaled to [0, 1] instead of uint8 0..255.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images of shape ``(60000, 28, 28)`` and
        ``(10000, 28, 28)`` (uint8 unless ``as_float``; use ``x[:, None]`` for NCHW),
        labels 0..9 of shape ``(60000,)`` and ``(10000,)``, int64.

    Raises:
        FileNotFoundError: if a file is missing and cannot be downloaded; the message says
            which files to put where.
        ValueError: if a file is corrupt: not gzip, truncated, a wrong header, or content
            whose sha256 differs from the published MNIST files.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_train[:5]  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), array([5, 0, 4, 1, 9]))
    >>> load_mnist("/no/such/folder", download=False)
    Traceback (most recent call last):
    ...
    FileNotFoundError: load_mnist: MNIST file(s) train-images-idx3-ubyte.gz, ... are not in
    /no/such/folder and download=False was given. ...
    """
    return _load(MNIST, "load_mnist", path, download, as_float)


def load_fashion_mnist(
    path: str | os.PathLike | None = None, *, download: bool = True, as_float: bool = False
) -> Arrays:
    """Fashion-MNIST (Zalando): 70,000 28×28 grey images of clothing in 10 classes.

    A drop-in replacement for MNIST with the same file names, shapes and split; class ``k``
    is ``FASHION_MNIST_CLASSES[k]``. Arguments, return values and errors are those of
    :func:`load_mnist`, except that the default folder is ``.../fashion-mnist`` and that
    files on disk are checked by header, size and label range (no published sha256 of the
    decompressed files could be confirmed); downloads must match the published ``.gz`` md5.

    >>> (x_train, y_train), _ = load_fashion_mnist(as_float=True)  # doctest: +SKIP
    >>> FASHION_MNIST_CLASSES[y_train[0]]  # doctest: +SKIP
    'Ankle boot'
    >>> FASHION_MNIST_CLASSES[9]
    'Ankle boot'
    """
    return _load(FASHION_MNIST, "load_fashion_mnist", path, download, as_float)
