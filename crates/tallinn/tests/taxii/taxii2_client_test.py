"""Drives a live `tallinn serve` with the OASIS TAXII 2.1 client
(taxii2-client 2.3.0) and the stix2 library, as a partner CERT would.

Run by the Rust test `taxii_with_the_oasis_client` (crates/tallinn/tests/it),
which starts the server and passes, in the environment:
TALLINN_URL, TALLINN_ANALYST / TALLINN_PASSWORD (HTTP Basic, organisation UA)
and TALLINN_OTHER_TOKEN (a Bearer token of an analyst of another organisation).
Every check is an assertion; the script exits non-zero on the first failure.
"""

import os
import uuid

import requests
import stix2
from stix2.datastore.filters import Filter
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

BASE = os.environ["TALLINN_URL"].rstrip("/")
USER = os.environ["TALLINN_ANALYST"]
PASSWORD = os.environ["TALLINN_PASSWORD"]
OTHER_TOKEN = os.environ["TALLINN_OTHER_TOKEN"]

TLP2_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TLP2_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


class Bearer(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer " + self.token
        return request


def indicator(n, modified="2026-01-02T00:00:00.000Z", **extra):
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--%08x-1111-4111-8111-111111111111" % n,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": "client test %d" % n,
        "pattern": "[ipv4-addr:value = '203.0.113.%d']" % (n % 250),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    obj.update(extra)
    return obj


def envelope(objects):
    return {"objects": objects}


def ids(env):
    return [o["id"] for o in env.get("objects", [])]


def main():
    # Discovery → API root → collections.
    server = Server(BASE + "/taxii2/", user=USER, password=PASSWORD)
    assert server.title == "Tallinn threat exchange", server.title
    assert len(server.api_roots) == 1
    root = server.default
    assert root.url == BASE + "/taxii2/tallinn/", root.url
    assert "application/taxii+json;version=2.1" in root.versions
    assert root.max_content_length >= 10 * 1024 * 1024
    community = [c for c in root.collections if c.title == "Community"]
    assert len(community) == 1, [c.title for c in root.collections]
    collection = community[0]
    assert collection.can_read and collection.can_write
    assert collection.media_types == ["application/stix+json;version=2.1"]

    # add_objects without waiting: a mixed envelope, the bad object reported.
    bad = indicator(99)
    bad["id"] = "indicator--not-a-uuid"
    status = collection.add_objects(envelope([indicator(1), indicator(2), bad]), wait_for_completion=False)
    assert status.status == "complete", status.status
    assert (status.total_count, status.success_count, status.failure_count, status.pending_count) == (3, 2, 1, 0)
    assert status.failures[0]["id"] == "indicator--not-a-uuid" and "id" in status.failures[0]["message"]

    # get_status from the API root.
    again = root.get_status(status.id)
    assert again.success_count == 2 and again.failure_count == 1
    assert {s["id"] for s in again.successes} == {indicator(1)["id"], indicator(2)["id"]}

    # add_objects waiting for completion; three versions of one object,
    # then five more objects for paging.
    versions = ["2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z", "2026-01-04T00:00:00.000Z"]
    status = collection.add_objects(envelope([indicator(3, v) for v in versions]), wait_for_completion=True, poll_interval=1, timeout=10)
    assert status.status == "complete" and status.success_count == 3
    collection.add_objects(envelope([indicator(n) for n in range(10, 15)]))
    # The same versions again: successes that store nothing.
    repeat = collection.add_objects(envelope([indicator(1)]))
    assert repeat.success_count == 1 and repeat.failure_count == 0

    # get_objects and every filter.
    everything = collection.get_objects()
    assert len(ids(everything)) == 8 and everything["more"] is False, ids(everything)
    assert ids(collection.get_objects(type="indicator")) == ids(everything)
    assert ids(collection.get_objects(type="malware")) == []
    assert ids(collection.get_objects(id=indicator(2)["id"])) == [indicator(2)["id"]]
    obj3 = indicator(3)["id"]
    latest = collection.get_objects(id=obj3)["objects"]
    assert [o["modified"] for o in latest] == [versions[-1]], "last by default"
    first = collection.get_objects(id=obj3, version="first")["objects"]
    assert [o["modified"] for o in first] == [versions[0]]
    every = collection.get_objects(id=obj3, version="all")["objects"]
    assert sorted(o["modified"] for o in every) == versions
    at = collection.get_objects(id=obj3, version=versions[1])["objects"]
    assert [o["modified"] for o in at] == [versions[1]]
    assert len(ids(collection.get_objects(spec_version="2.1"))) == 8
    assert ids(collection.get_objects(spec_version="2.0")) == []
    # added_after with the header of a first page.
    page = collection._conn.get(collection.objects_url, headers={"Accept": "application/taxii+json;version=2.1"}, params={"limit": 3})
    assert page["more"] is True and "next" in page
    raw = requests.get(collection.objects_url, params={"limit": 3}, auth=(USER, PASSWORD), headers={"Accept": "application/taxii+json;version=2.1"})
    last_added = raw.headers["X-TAXII-Date-Added-Last"]
    assert raw.headers["X-TAXII-Date-Added-First"] <= last_added
    after = collection.get_objects(added_after=last_added)
    assert len(ids(after)) == 5 and set(ids(after)).isdisjoint(ids(page)), ids(after)

    # as_pages walks every object once.
    walked = []
    for envelope_page in as_pages(collection.get_objects, per_request=3):
        walked.extend(ids(envelope_page))
    assert sorted(walked) == sorted(ids(everything)) and len(walked) == len(set(walked)), walked

    # Manifest.
    manifest = collection.get_manifest()
    records = manifest["objects"]
    assert sorted(r["id"] for r in records) == sorted(ids(everything))
    assert all(r["media_type"] == "application/stix+json;version=2.1" and r["date_added"] and r["version"] for r in records)
    assert [r["version"] for r in collection.get_manifest(id=obj3)["objects"]] == [versions[-1]]

    # Versions, one object, deletion.
    assert sorted(collection.object_versions(obj3)["versions"]) == versions
    assert ids(collection.get_object(obj3)) == [obj3]
    collection.delete_object(obj3, version=versions[-1])
    assert [o["modified"] for o in collection.get_object(obj3)["objects"]] == [versions[1]], "the previous version is now the latest"
    collection.delete_object(obj3)
    try:
        collection.get_object(obj3)
        raise AssertionError("a deleted object is gone")
    except requests.exceptions.HTTPError as e:
        assert e.response.status_code == 404
        assert e.response.headers["Content-Type"].startswith("application/taxii+json")

    # TLP: a RED object shared with nobody else, an AMBER one shared with
    # the other organisation's analysts (x_tallinn_share_orgs).
    red = indicator(40, object_marking_refs=[TLP2_RED])
    amber = indicator(41, object_marking_refs=[TLP2_AMBER], x_tallinn_share_orgs=[os.environ.get("TALLINN_OTHER_ORG", "EE")])
    collection.add_objects(envelope([red, amber]))
    assert red["id"] in ids(collection.get_objects()), "the creator reads its own RED object"
    other = Collection(collection.url, auth=Bearer(OTHER_TOKEN))
    seen = ids(other.get_objects())
    assert red["id"] not in seen and amber["id"] in seen, seen
    assert red["id"] not in [r["id"] for r in other.get_manifest()["objects"]]
    for call in (lambda: other.get_object(red["id"]), lambda: other.object_versions(red["id"])):
        try:
            call()
            raise AssertionError("a RED object is hidden from other organisations")
        except requests.exceptions.HTTPError as e:
            assert e.response.status_code == 404

    # Bad requests get TAXII errors.
    taxii = {"Accept": "application/taxii+json;version=2.1"}
    bad = requests.get(collection.objects_url, params={"limit": "many"}, auth=(USER, PASSWORD), headers=taxii)
    assert bad.status_code == 400 and bad.json()["http_status"] == "400" and "limit" in bad.json()["description"]
    bad = requests.get(collection.objects_url, auth=(USER, PASSWORD), headers={"Accept": "application/json"})
    assert bad.status_code == 406 and bad.headers["Content-Type"].startswith("application/taxii+json")
    bad = requests.post(collection.objects_url, data="{}", auth=(USER, PASSWORD), headers={**taxii, "Content-Type": "application/json"})
    assert bad.status_code == 415
    try:
        Server(BASE + "/taxii2/", user=USER, password="wrong password").refresh()
        raise AssertionError("a wrong password is refused")
    except requests.exceptions.HTTPError as e:
        assert e.response.status_code == 401

    # stix2's TAXII data store over the same collection.
    sink = stix2.TAXIICollectionSink(collection)
    made = stix2.Indicator(
        id="indicator--" + str(uuid.uuid4()),
        name="from stix2",
        pattern="[domain-name:value = 'evil.example']",
        pattern_type="stix",
        valid_from="2026-01-01T00:00:00Z",
    )
    sink.add(made)
    source = stix2.TAXIICollectionSource(collection)
    got = source.get(made.id)
    assert got is not None and got.id == made.id and got.name == "from stix2"
    found = source.query([Filter("type", "=", "indicator")])
    assert made.id in [o.id for o in found]
    assert len(source.all_versions(made.id)) == 1
    print("taxii2-client and stix2: every check passed")


if __name__ == "__main__":
    try:
        main()
    except TAXIIServiceException as e:
        raise SystemExit("TAXII client error: %s" % e)
