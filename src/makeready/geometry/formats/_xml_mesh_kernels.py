"""Compiled scanner of 3MF ``<vertices>`` and ``<triangles>`` text (numba; imported when first needed).

A strict recogniser, not an XML parser: it accepts only the plain form writers emit,
``<vertex x="…" y="…" z="…"/>`` and ``<triangle v1="…" v2="…" v3="…"/>`` separated by XML
white space, each attribute once, in any order, with either quote, numbers in the 3MF
``ST_Number`` / ``ST_ResourceIndex`` lexical forms. Anything else (comments, entity
references, other attributes, prefixes, end tags, non-ASCII bytes) makes it answer "not
plain", and the caller parses that element with lxml as before, so the answer for such
text is unchanged.

Numbers are converted exactly as ``float()`` would (correctly rounded): a decimal mantissa
of at most 2**53 times a power of ten within 10**±22 is one IEEE multiplication or division
of two exact doubles (Clinger's fast path); the rare value outside it is reported back by
its text and converted by the caller (numpy's ``fromstring``, C ``strtod``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Byte codes the scanner tests.
_LT, _GT, _SLASH, _EQ, _DQ, _SQ = 60, 62, 47, 61, 34, 39
_PLUS, _MINUS, _DOT, _ZERO, _NINE = 43, 45, 46, 48, 57
_LOWER_E, _UPPER_E = 101, 69


@njit(cache=True, nogil=True, boundscheck=False)
def _space(c):  # type: ignore[no-untyped-def]
    """XML white space (space, tab, LF, CR)."""
    return c == 32 or c == 9 or c == 10 or c == 13


@njit(cache=True, nogil=True, boundscheck=False)
def _powers_of_ten():  # type: ignore[no-untyped-def]
    """10**0 .. 10**22, each exactly representable, built by exact multiplications."""
    table = np.empty(23, np.float64)
    table[0] = 1.0
    for k in range(1, 23):
        table[k] = table[k - 1] * 10.0
    return table


@njit(cache=True, nogil=True, boundscheck=False)
def _decimal(buf, i, end, pow10):  # type: ignore[no-untyped-def]
    """Parse an ``ST_Number`` filling ``buf[i:end]`` exactly.

    Returns ``(value, status)``: status 0 converted, 1 valid but outside the exact fast path
    (the caller converts it), -1 not an ``ST_Number``.
    """
    negative = False
    if i < end and (buf[i] == _PLUS or buf[i] == _MINUS):
        negative = buf[i] == _MINUS
        i += 1
    mantissa = 0
    significant = 0
    int_digits = 0
    while i < end and _ZERO <= buf[i] <= _NINE:
        if mantissa > 0 or buf[i] != _ZERO:
            significant += 1
            if significant <= 18:
                mantissa = mantissa * 10 + (buf[i] - _ZERO)
        int_digits += 1
        i += 1
    frac_digits = 0  # digits after the point
    frac_shift = 0  # of those, the ones inside ``mantissa``
    if i < end and buf[i] == _DOT:
        i += 1
        while i < end and _ZERO <= buf[i] <= _NINE:
            if mantissa > 0 or buf[i] != _ZERO:
                significant += 1
                if significant <= 18:
                    mantissa = mantissa * 10 + (buf[i] - _ZERO)
            if significant <= 18:
                frac_shift += 1
            frac_digits += 1
            i += 1
        if frac_digits == 0:
            # "1." is not an ST_Number (digits must follow the point); ".5" is.
            return 0.0, -1
    if int_digits == 0 and frac_digits == 0:
        return 0.0, -1
    exponent = 0
    if i < end and (buf[i] == _LOWER_E or buf[i] == _UPPER_E):
        i += 1
        exp_negative = False
        if i < end and (buf[i] == _PLUS or buf[i] == _MINUS):
            exp_negative = buf[i] == _MINUS
            i += 1
        exp_digits = 0
        while i < end and _ZERO <= buf[i] <= _NINE:
            if exponent < 100_000:
                exponent = exponent * 10 + (buf[i] - _ZERO)
            exp_digits += 1
            i += 1
        if exp_digits == 0:
            return 0.0, -1
        if exp_negative:
            exponent = -exponent
    if i != end:
        return 0.0, -1
    if significant > 18:
        return 0.0, 1
    if mantissa == 0:
        return -0.0 if negative else 0.0, 0
    shift = exponent - frac_shift
    if mantissa > 9007199254740992 or shift > 22 or shift < -22:
        return 0.0, 1
    value = float(mantissa)
    value = value * pow10[shift] if shift >= 0 else value / pow10[-shift]
    return -value if negative else value, 0


@njit(cache=True, nogil=True, boundscheck=False)
def _index(buf, i, end):  # type: ignore[no-untyped-def]
    """Parse a plain non-negative decimal integer (at most 18 digits); -1 when it is not one.

    Leading zeros are not plain ("01"): property groups are told apart by their text there.
    """
    if i >= end or end - i > 18 or (buf[i] == _ZERO and end - i > 1):
        return -1
    value = 0
    while i < end:
        c = buf[i]
        if c < _ZERO or c > _NINE:
            return -1
        value = value * 10 + (c - _ZERO)
        i += 1
    return value


@njit(cache=True, nogil=True, boundscheck=False)
def scan_elements(buf, start, end, tag, names, required, as_index, values, indices, slow_index, slow_text):  # type: ignore[no-untyped-def]
    """Read the plain child elements of one ``<vertices>`` or ``<triangles>`` element.

    Parameters
    ----------
    buf : (m,) uint8
        The part's XML bytes.
    start, end : int
        The element's content, ``buf[start:end]`` (between its start and end tags).
    tag : (k,) uint8
        The child element name (``vertex`` or ``triangle``).
    names : (k, 3) uint8
        The attribute names, zero-padded (``x``, ``y``, ``z``; or ``v1``, ``v2``, ``v3``,
        ``p1``, ``p2``, ``p3``, ``pid``).
    required : int
        Bit mask of the names every element must carry (the others are optional).
    as_index : bool
        Values are resource indices (integers) rather than numbers.
    values : (n, k) float64
        Output for numbers; ``n`` at least the number of ``<`` in the content.
    indices : (n, k) int64
        Output for indices; -1 where an optional attribute is absent.
    slow_index : (n * 3,) int64
        Output: flat index into ``values`` of each number the caller must convert.
    slow_text : (end - start,) uint8
        Output: those numbers' text, each followed by a space.

    Returns
    -------
    count, slow_count, slow_length : int
        Children read, numbers left to the caller and the length of their text; ``count`` is
        -1 when the content is not plain.

    """
    pow10 = _powers_of_ten()
    count = 0
    slow_count = 0
    slow_length = 0
    i = start
    tag_len = tag.shape[0]
    while True:
        while i < end and _space(buf[i]):
            i += 1
        if i >= end:
            return count, slow_count, slow_length
        if buf[i] != _LT or i + 1 + tag_len > end:
            return -1, 0, 0
        for k in range(tag_len):
            if buf[i + 1 + k] != tag[k]:
                return -1, 0, 0
        i += 1 + tag_len
        seen = 0
        if as_index:
            for s in range(names.shape[0]):
                indices[count, s] = -1
        while True:
            gap = i
            while i < end and _space(buf[i]):
                i += 1
            if i >= end:
                return -1, 0, 0
            if buf[i] == _SLASH:
                if i + 1 >= end or buf[i + 1] != _GT or (seen & required) != required:
                    return -1, 0, 0
                i += 2
                break
            if i == gap:
                return -1, 0, 0  # attributes must be separated by white space
            name_start = i
            while i < end and buf[i] != _EQ and not _space(buf[i]) and buf[i] != _SLASH:
                i += 1
            slot = -1
            for s in range(names.shape[0]):
                length = 0
                while length < names.shape[1] and names[s, length] != 0:
                    length += 1
                if i - name_start == length:
                    match = True
                    for k in range(length):
                        if buf[name_start + k] != names[s, k]:
                            match = False
                    if match:
                        slot = s
            if slot < 0 or (seen >> slot) & 1:
                return -1, 0, 0
            seen |= 1 << slot
            while i < end and _space(buf[i]):
                i += 1
            if i >= end or buf[i] != _EQ:
                return -1, 0, 0
            i += 1
            while i < end and _space(buf[i]):
                i += 1
            if i >= end or (buf[i] != _DQ and buf[i] != _SQ):
                return -1, 0, 0
            quote = buf[i]
            i += 1
            value_start = i
            while i < end and buf[i] != quote:
                if buf[i] == _LT or buf[i] == 38 or buf[i] > 126 or buf[i] < 32:
                    return -1, 0, 0  # markup, entity references, control or non-ASCII bytes
                i += 1
            if i >= end:
                return -1, 0, 0
            if as_index:
                parsed = _index(buf, value_start, i)
                if parsed < 0:
                    return -1, 0, 0
                indices[count, slot] = parsed
            else:
                number, status = _decimal(buf, value_start, i, pow10)
                if status < 0:
                    return -1, 0, 0
                values[count, slot] = number
                if status == 1:
                    slow_index[slow_count] = count * 3 + slot
                    slow_count += 1
                    for k in range(value_start, i):
                        slow_text[slow_length] = buf[k]
                        slow_length += 1
                    slow_text[slow_length] = 32
                    slow_length += 1
            i += 1
        count += 1
