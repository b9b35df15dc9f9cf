#!/usr/bin/env python3
"""Writes the small synthetic MMDB files in Corpus/mmdb/seeds (the `mmdb` target's committed seeds).

MaxMind's test databases (../shared/datasets/geo/maxmind-test) are the better seeds, but the
datasets are referenced, never copied into the repository: scripts/fuzz.sh adds that folder to the
corpus when it is there. These files cover what the reader must handle on a machine without it:
each record size (24, 28, 32 bits), IPv4 and IPv6 trees, every data type the signals read, and a
pointer. Format: https://maxmind.github.io/MaxMind-DB/
"""
import os
import struct
import sys

def ctrl(kind, size):
    out = b""
    if kind <= 7:
        first = kind << 5
    else:
        first = 0
    if size < 29:
        first |= size; tail = b""
    elif size < 29 + 256:
        first |= 29; tail = bytes([size - 29])
    else:
        first |= 30; tail = struct.pack(">H", size - 285)
    out = bytes([first])
    if kind > 7:
        out += bytes([kind - 7])
    return out + tail

def enc(v):
    if isinstance(v, bool):
        return ctrl(14, 1 if v else 0)
    if isinstance(v, str):
        b = v.encode(); return ctrl(2, len(b)) + b
    if isinstance(v, float):
        return ctrl(3, 8) + struct.pack(">d", v)
    if isinstance(v, tuple) and v[0] == "float":
        return ctrl(15, 4) + struct.pack(">f", v[1])
    if isinstance(v, tuple) and v[0] == "ptr":
        return bytes([0x20 | (v[1] >> 8)]) + bytes([v[1] & 0xFF])  # pointer, size 0 (11 bits)
    if isinstance(v, tuple) and v[0] == "i32":
        b = struct.pack(">i", v[1]); return ctrl(8, 4) + b
    if isinstance(v, int):
        if v < 1 << 16:
            b = v.to_bytes(2, "big").lstrip(b"\0"); return ctrl(5, len(b)) + b
        if v < 1 << 32:
            b = v.to_bytes(4, "big").lstrip(b"\0"); return ctrl(6, len(b)) + b
        b = v.to_bytes(8, "big").lstrip(b"\0"); return ctrl(9, len(b)) + b
    if isinstance(v, list):
        return ctrl(11, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return ctrl(7, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    raise TypeError(v)

def database(record_size, ip_version, networks, data, db_type):
    """networks: [(bits as a '0'/'1' string, offset into data)]."""
    bits = 32 if ip_version == 4 else 128
    nodes = [[None, None]]
    for prefix, offset in networks:
        n = 0
        for i, bit in enumerate(prefix):
            b = int(bit)
            if i == len(prefix) - 1:
                nodes[n][b] = ("data", offset)
            else:
                if not isinstance(nodes[n][b], int):
                    nodes.append([None, None]); nodes[n][b] = len(nodes) - 1
                n = nodes[n][b]
    count = len(nodes)
    def value(r):
        if r is None: return count
        if isinstance(r, int): return r
        return count + 16 + r[1]
    tree = b""
    for left, right in nodes:
        l, r = value(left), value(right)
        if record_size == 24:
            tree += l.to_bytes(3, "big") + r.to_bytes(3, "big")
        elif record_size == 28:
            tree += (l & 0xFFFFFF).to_bytes(3, "big") + bytes([((l >> 24) << 4) | (r >> 24)]) + (r & 0xFFFFFF).to_bytes(3, "big")
        else:
            tree += l.to_bytes(4, "big") + r.to_bytes(4, "big")
    meta = {"node_count": count, "record_size": record_size, "ip_version": ip_version, "database_type": db_type,
            "languages": ["en"], "binary_format_major_version": 2, "binary_format_minor_version": 0,
            "build_epoch": 1_790_000_000, "description": {"en": "riskgate fuzz seed"}}
    return tree + bytes(16) + data + b"\xab\xcd\xefMaxMind.com" + enc(meta)

def v4(text, length):
    a = int.from_bytes(bytes(int(x) for x in text.split(".")), "big")
    return format(a, "032b")[:length]

def v6of4(text, length):
    return "0" * 96 + v4(text, length)

def main(out):
    os.makedirs(out, exist_ok=True)
    city = enc({"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
                "location": {"latitude": 51.5142, "longitude": -0.0931, "accuracy_radius": 10}})
    second = len(city)
    # A float longitude and a pointer back to the first record.
    city += enc({"country": {"iso_code": "US"}, "location": {"latitude": 47.6, "longitude": ("float", -122.3), "accuracy_radius": 1000},
                 "city": ("ptr", 0)})
    asn = enc({"autonomous_system_number": 1221, "autonomous_system_organization": "Telstra Pty Ltd"})
    asn_big = len(asn)
    asn += enc({"autonomous_system_number": 4_200_000_000, "list": [1, ("i32", -7), True, 2.5]})
    anon = enc({"is_anonymous": True, "is_anonymous_vpn": True, "is_hosting_provider": False, "is_public_proxy": False,
                "is_tor_exit_node": True, "is_residential_proxy": False})
    seeds = {
        "city-v4-24.mmdb": database(24, 4, [(v4("81.2.69.0", 24), 0), (v4("216.160.83.56", 29), second)], city, "GeoIP2-City"),
        "city-v6-28.mmdb": database(28, 6, [(v6of4("81.2.69.160", 27), 0), ("0010000000000001" + "0000001000011000", second)], city, "GeoLite2-City"),
        "asn-v6-32.mmdb": database(32, 6, [(v6of4("1.0.0.0", 24), 0), ("1111111111111111", asn_big)], asn, "GeoLite2-ASN"),
        "anonymous-v4-24.mmdb": database(24, 4, [(v4("1.2.0.0", 16), 0), (v4("149.101.100.0", 28), 0)], anon, "GeoIP2-Anonymous-IP"),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "Corpus/mmdb/seeds"))
