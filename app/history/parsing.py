"""Text columns to numbers, a whole column at a time, with a verdict for every row.

pyarrow reads the CSV text; these functions turn its string columns into epoch
times and numbers and say which rows are malformed, so that a bad line is
reported with its number instead of failing the whole file. Dates and times are
read from their characters with numpy (fixed positions, checked digit by digit),
which is exact and fast, and accepts only the layouts documented in
``docs/history.md``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# What Arrow's string-to-double cast accepts, less nan and inf.
_NUMBER = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_MAX_TIME_CHARS = 18  # HH:MM:SS.fffffffff
DAY = 86_400


def characters(strings: pa.Array | pa.ChunkedArray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``width`` bytes of every string as an ``(n, width)`` uint8 array
    (0 past a string's end), and every string's length. Nulls have length 0."""
    strings = pc.fill_null(strings, "")
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if strings.type == pa.large_string():
        strings = strings.cast(pa.string())
    n = len(strings)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[
        strings.offset : strings.offset + n + 1
    ]
    data_buffer = strings.buffers()[2]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, np.uint8)
    )
    lengths = np.diff(offsets).astype(np.int64)
    if n == 0 or len(data) == 0:
        return np.zeros((n, width), dtype=np.uint8), lengths
    common = int(lengths[0])
    if 0 < common <= width and (lengths == common).all():
        # The usual case (every date ten characters long): the bytes are the table already.
        block = data[offsets[0] : offsets[-1]].reshape(n, common)
        if common == width:
            return block, lengths
        chars = np.zeros((n, width), dtype=np.uint8)
        chars[:, :common] = block
        return chars, lengths
    positions = offsets[:-1, None].astype(np.int64) + np.arange(width)
    chars = data[np.minimum(positions, len(data) - 1)]
    chars *= np.arange(width) < lengths[:, None]
    return chars, lengths


def _digits(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digit values of an ``(n, k)`` block of characters and whether all k are digits."""
    values = chars - np.uint8(48)  # wraps below '0', so every non-digit is > 9
    valid = np.asarray((values <= 9).all(axis=1))
    return values, valid


def _number(values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(values), dtype=np.int64)
    for column in range(values.shape[1]):
        out = out * 10 + values[:, column]
    return out


def _per_distinct(
    strings: pa.Array | pa.ChunkedArray, parse: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """``parse`` run once per distinct string: a bar file repeats each date hundreds of
    times and each time of day once a day."""
    encoded = pc.dictionary_encode(pc.fill_null(strings, ""))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values, ok = parse(encoded.dictionary)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return values[indices], ok[indices]


def parse_dates(strings: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 and validity for ``YYYY.MM.DD``, ``YYYY-MM-DD``,
    ``YYYY/MM/DD`` or ``YYYYMMDD`` (the separators of one date must match)."""
    return _per_distinct(strings, _parse_distinct_dates)


def _parse_distinct_dates(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    chars, lengths = characters(strings, 10)
    dashed = lengths == 10
    separator = chars[:, 4]
    dashed &= np.isin(separator, np.frombuffer(b".-/", np.uint8)) & (chars[:, 7] == separator)
    compact = lengths == 8
    year_digits, year_ok = _digits(chars[:, 0:4])
    month_chars = np.where(dashed[:, None], chars[:, 5:7], chars[:, 4:6])
    day_chars = np.where(dashed[:, None], chars[:, 8:10], chars[:, 6:8])
    month_digits, month_ok = _digits(month_chars)
    day_digits, day_ok = _digits(day_chars)
    year, month, day = _number(year_digits), _number(month_digits), _number(day_digits)
    ok = (dashed | compact) & year_ok & month_ok & day_ok & (year >= 1970)
    ok &= (month >= 1) & (month <= 12) & (day >= 1)
    month_index = np.where(ok, (year - 1970) * 12 + month - 1, 0)
    month_start = month_index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_month = (month_index + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ok &= day <= next_month - month_start
    days = np.where(ok, month_start + day - 1, 0)
    return days, ok


def parse_times_of_day(
    strings: pa.Array | pa.ChunkedArray, *, repeating: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Milliseconds since midnight and validity for ``HH:MM``, ``HH:MM:SS`` or
    ``HH:MM:SS.fff`` (1 to 9 fraction digits; kept to the millisecond).

    ``repeating``: the same times come back day after day (bars, not ticks), so
    each distinct one is parsed once."""
    if repeating:
        return _per_distinct(strings, _parse_times)
    return _parse_times(strings)


def _parse_times(strings: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    chars, lengths = characters(strings, _MAX_TIME_CHARS)
    colon = ord(":")
    hour_digits, hour_ok = _digits(chars[:, 0:2])
    minute_digits, minute_ok = _digits(chars[:, 3:5])
    second_digits, second_ok = _digits(chars[:, 6:8])
    short = lengths == 5
    with_seconds = (lengths == 8) | ((lengths >= 10) & (lengths <= _MAX_TIME_CHARS))
    ok = (short | with_seconds) & hour_ok & minute_ok & (chars[:, 2] == colon)
    ok &= short | (second_ok & (chars[:, 5] == colon))
    fraction = lengths >= 10
    ok &= ~fraction | (chars[:, 8] == ord("."))
    fraction_values = chars[:, 9:] - np.uint8(48)
    in_fraction = np.arange(9, _MAX_TIME_CHARS) < lengths[:, None]
    ok &= np.where(in_fraction, fraction_values <= 9, True).all(axis=1)
    hours, minutes = _number(hour_digits), _number(minute_digits)
    seconds = np.where(short, 0, _number(second_digits))
    ok &= (hours <= 23) & (minutes <= 59) & (seconds <= 59)
    millis = _number(np.where(in_fraction[:, :3], fraction_values[:, :3], 0))
    total = ((hours * 60 + minutes) * 60 + seconds) * 1000 + np.where(fraction, millis, 0)
    return np.where(ok, total, 0), ok


def parse_date_times(strings: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch milliseconds and validity for a date and a time in one field:
    ``2017.04.19 09:00:00``, ``2017-04-19T09:00:00.123Z``, or a date alone (midnight)."""
    strings = pc.utf8_rtrim(pc.fill_null(strings, ""), "Z")
    days, date_ok = parse_dates(pc.utf8_slice_codeunits(strings, 0, 10))
    lengths = pc.utf8_length(strings).to_numpy(zero_copy_only=False)
    separator = pc.utf8_slice_codeunits(strings, 10, 11).to_numpy(zero_copy_only=False)
    millis, time_ok = parse_times_of_day(pc.utf8_slice_codeunits(strings, 11, 11 + _MAX_TIME_CHARS))
    date_only = lengths == 10
    with_time = (separator == " ") | (separator == "T")
    ok = date_ok & (date_only | (with_time & time_ok))
    total = days * DAY * 1000 + np.where(date_only, 0, millis)
    return np.where(ok, total, 0), ok


def parse_numbers(strings: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float64 values, validity, and emptiness of a column of decimal numbers.

    Empty fields are valid here and come back as NaN with ``empty`` set; the
    caller decides whether a column may be empty. A column the CSV reader has
    already read as numbers is taken as it is.
    """
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    empty = np.asarray(pc.is_null(strings).to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_floating(strings.type):
        array = np.asarray(strings.to_numpy(zero_copy_only=False), dtype=np.float64)
        return array, empty | np.isfinite(array), empty
    try:
        values = pc.cast(strings, pa.float64())
        ok = np.ones(len(strings), dtype=bool)
    except pa.ArrowInvalid:
        well_formed = pc.fill_null(pc.match_substring_regex(strings, _NUMBER), True)
        values = pc.cast(
            pc.if_else(well_formed, strings, pa.scalar(None, pa.string())), pa.float64()
        )
        ok = np.asarray(well_formed.to_numpy(zero_copy_only=False), dtype=bool)
    array = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    ok &= empty | np.isfinite(array)
    return array, ok, empty
