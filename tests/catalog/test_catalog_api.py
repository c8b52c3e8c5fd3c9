"""The public catalogue API: search without diacritics, filters, detail, 404 shape, fields.

One TestCase so that the demo catalogue is imported once (setUpTestData) for all the reads.
"""

from __future__ import annotations

from django.test import TestCase

from motcua.catalog.demo import seed_catalog
from motcua.catalog.services import catalog_import

LIST_KEYS = {
    "code", "version", "name", "field", "level", "time_unit", "time_value", "time_display",
    "cutoff", "fees", "fee_total", "papers", "result_paper", "legal_basis", "channels",
    "holiday_duty",
}  # fmt: skip


class CatalogApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        seed_catalog()

    def codes(self, path: str = "/api/v1/procedures", **params: object) -> list[str]:
        response = self.client.get(path, params)
        self.assertEqual(response.status_code, 200, response.content)
        return [item["code"] for item in response.json()["items"]]

    def test_search_is_case_and_diacritics_insensitive(self) -> None:
        for q in ["khai sinh", "Khai Sinh", "KHAI SINH", "khai  sinh", "Đăng ký khai sinh"]:
            with self.subTest(q=q):
                found = self.codes(q=q)
                self.assertIn("1.001193", found)
                self.assertIn("1.004884", found)
                self.assertNotIn("1.000894", found)

    def test_search_without_diacritics_and_by_words_in_any_order(self) -> None:
        self.assertIn("1.000894", self.codes(q="dang ky ket hon"))
        self.assertIn("1.000894", self.codes(q="kết hôn đăng ký"))
        self.assertIn("1.000656", self.codes(q="dang ky khai tu"))
        self.assertEqual(self.codes(q="xyz khong co"), [])

    def test_search_by_code(self) -> None:
        self.assertEqual(self.codes(q="2.000815"), ["2.000815"])

    def test_field_and_channel_filters(self) -> None:
        found = self.codes(field="chung-thuc")
        self.assertIn("2.000815", found)
        self.assertIn("2.000884", found)
        self.assertNotIn("1.001193", found)
        self.assertEqual(self.codes(field="khong-co"), [])
        home = self.client.get("/api/v1/procedures", {"channel": "home"}).json()["items"]
        self.assertTrue(home)
        self.assertTrue(all("home" in item["channels"] for item in home))
        both = self.codes(q="khai sinh", field="ho-tich", channel="post")
        self.assertIn("1.001193", both)
        bad = self.client.get("/api/v1/procedures", {"channel": "fax"})
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["code"], "invalid")
        self.assertIn("fax", bad.json()["message"])

    def test_list_item_shape(self) -> None:
        body = self.client.get("/api/v1/procedures", {"q": "1.000656"}).json()
        self.assertEqual((body["count"], body["limit"], body["offset"]), (1, 100, 0))
        item = body["items"][0]
        self.assertTrue(set(item) >= LIST_KEYS)
        self.assertEqual(item["name"], "Thủ tục đăng ký khai tử")
        self.assertEqual(item["field"], {"code": "ho-tich", "name": "Hộ tịch"})
        self.assertIs(item["holiday_duty"], True)
        self.assertEqual((item["time_unit"], item["cutoff"]), ("same_day", "15:00"))
        self.assertEqual(
            item["time_display"], "Trong ngày (nhận sau 15:00 trả ngày làm việc tiếp theo)"
        )
        self.assertEqual((item["fee_total"], item["version"]), (0, 1))
        self.assertTrue({"name", "original", "copy", "required"} <= set(item["papers"][0]))
        fee = self.client.get("/api/v1/procedures", {"q": "2.001035"}).json()["items"][0]
        self.assertEqual(fee["fee_total"], 50000)
        self.assertEqual(fee["time_display"], "2 ngày làm việc")

    def test_pagination(self) -> None:
        full = self.client.get("/api/v1/procedures").json()
        self.assertGreaterEqual(full["count"], 30)
        self.assertEqual(len(full["items"]), full["count"])
        page = self.client.get("/api/v1/procedures", {"limit": 5, "offset": 5}).json()
        self.assertEqual(page["count"], full["count"])
        self.assertEqual(
            [i["code"] for i in page["items"]], [i["code"] for i in full["items"][5:10]]
        )
        self.assertEqual(self.client.get("/api/v1/procedures", {"limit": 0}).status_code, 422)

    def test_public_endpoint_is_the_same_list(self) -> None:
        public = self.client.get("/api/v1/public/procedures", {"q": "chung thuc"}).json()
        staff = self.client.get("/api/v1/procedures", {"q": "chung thuc"}).json()
        self.assertEqual(public, staff)
        self.assertGreaterEqual(public["count"], 5)

    def test_detail_and_old_versions(self) -> None:
        body = self.client.get("/api/v1/procedures/1.001193").json()
        self.assertEqual(body["code"], "1.001193")
        self.assertTrue(body["decision"].startswith("Quyết định số 1872/QĐ-BTP"))
        self.assertEqual(body["agency"], "Ủy ban nhân dân cấp xã")
        self.assertTrue(body["steps"])
        self.assertEqual(body["published_versions"], [1])
        changed = {k: body[k] for k in ("code", "name", "field", "level", "time_unit", "cutoff")}
        catalog_import(data=[{**changed, "time_value": 0, "channels": ["direct"]}])
        self.assertEqual(self.client.get("/api/v1/procedures/1.001193").json()["version"], 2)
        old = self.client.get("/api/v1/procedures/1.001193", {"version": 1}).json()
        self.assertEqual(old["version"], 1)
        self.assertEqual(old["channels"], ["direct", "online", "post"])
        self.assertEqual(
            self.client.get("/api/v1/procedures/1.001193").json()["published_versions"], [1, 2]
        )

    def test_not_found_shape(self) -> None:
        response = self.client.get("/api/v1/procedures/9.999999")
        self.assertEqual(response.status_code, 404)
        body = response.json()
        self.assertEqual(body["code"], "not_found")
        self.assertIn("9.999999", body["message"])
        self.assertEqual(
            self.client.get("/api/v1/procedures/1.001193", {"version": 7}).status_code, 404
        )

    def test_fields(self) -> None:
        fields = {f["code"]: f for f in self.client.get("/api/v1/fields").json()}
        self.assertEqual(fields["ho-tich"]["name"], "Hộ tịch")
        self.assertGreaterEqual(fields["ho-tich"]["procedure_count"], 10)
        for code in ("chung-thuc", "dat-dai", "xay-dung", "bao-tro-xa-hoi", "ho-kinh-doanh"):
            self.assertGreaterEqual(fields[code]["procedure_count"], 1, code)


class CatalogFeeApiTests(TestCase):
    """Fee lines by channel and quantity, and time cases, are published (fields added, none renamed)."""

    @classmethod
    def setUpTestData(cls) -> None:
        seed_catalog()

    def test_fee_lines_show_the_online_price_the_page_tiers_and_the_time_cases(self) -> None:
        residence = self.client.get("/api/v1/procedures/1.004222").json()
        fee = residence["fees"][0]
        self.assertEqual(
            (fee["amount"], fee["channels"], fee["kind"]), (20000, {"online": 10000}, "le_phi")
        )
        self.assertIn("trực tuyến: 10.000 đồng", fee["rate"])
        copies = self.client.get("/api/v1/procedures/2.000815").json()["fees"][0]
        self.assertEqual(
            (copies["unit"], copies["cap"], copies["kind_label"]), ("page", 200000, "Phí")
        )
        self.assertEqual(
            copies["tiers"], [{"from": 1, "amount": 2000}, {"from": 3, "amount": 1000}]
        )
        marriage = self.client.get("/api/v1/procedures/1.000894").json()
        self.assertEqual([c["code"] for c in marriage["time_cases"]], ["ngay", "xac-minh"])
