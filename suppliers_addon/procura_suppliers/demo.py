"""Demo data of the suppliers addon: Russian suppliers with valid (made-up) requisites, their
contacts and a supplier portal user."""
from __future__ import annotations

from procura.types.names import PersonName

from procura_suppliers import _
from procura_suppliers import requisites as rq

PORTAL_LOGIN, PORTAL_PASSWORD = "supplier", "supplier-demo-2026"  # noqa: S105 - documented demo sign-in


def _inn(body):
    return body + rq.inn_checksum(body)


def _ogrn(body):
    return body + rq.ogrn_checksum(body)


def _account(bik, body):  # 20 digits with a 0 at the key position (index 8)
    return body[:8] + rq.account_check_digit(bik, body) + body[9:]


def _corr(bik):
    body = "30101810" + "0" + "00000000" + bik[-3:]
    return body[:8] + rq.account_check_digit(bik, body, correspondent=True) + body[9:]


def _address(city, region, street, building, postcode):
    return {"country": "RU", "region": region, "city": city, "street": street, "building": building,
            "postcode": postcode}


SBER, VTB_SPB, ALFA = "044525225", "044030707", "044525593"

COUNTERPARTIES = [
    {"name": "Техснаб", "full_name": "ООО «Техснаб»", "kind": "legal", "relations": ("supplier",),
     "inn": _inn("770512345"), "kpp": "770501001", "ogrn": _ogrn("102770012345"),
     "legal_address": _address("Москва", "", "ул. Земляной Вал", "д. 9", "105064"),
     "bank_name": "ПАО Сбербанк", "bank_bik": SBER, "bank_account": _account(SBER, "40702810038000012345"),
     "correspondent_account": _corr(SBER), "email": "sales@tehsnab.example", "phone": "+74951234567",
     "status": "approved"},
    {"name": "Север-Инструмент", "full_name": "ООО «Север-Инструмент»", "kind": "legal",
     "relations": ("supplier",), "inn": _inn("781234567"), "kpp": "781001001", "ogrn": _ogrn("112784712345"),
     "legal_address": _address("Санкт-Петербург", "", "Железнодорожный пр.", "д. 40", "192148"),
     "bank_name": "Банк ВТБ (ПАО)", "bank_bik": VTB_SPB, "bank_account": _account(VTB_SPB, "40702810000000054321"),
     "correspondent_account": _corr(VTB_SPB), "email": "info@sever-instrument.example",
     "phone": "+78121234567", "status": "approved"},
    {"name": "ПромАрматура", "full_name": "АО «ПромАрматура»", "kind": "legal", "relations": ("supplier",),
     "inn": _inn("667012345"), "kpp": "667001001", "ogrn": _ogrn("106667012345"),
     "legal_address": _address("Екатеринбург", "Свердловская обл.", "ул. Фронтовых Бригад", "д. 18", "620017"),
     "bank_name": "АО «Альфа-Банк»", "bank_bik": ALFA, "bank_account": _account(ALFA, "40702810010000077777"),
     "correspondent_account": _corr(ALFA), "email": "tender@promarmatura.example", "phone": "+73431234567",
     "status": "prospect"},
    {"name": "ИП Кузнецов А. В.", "full_name": "Индивидуальный предприниматель Кузнецов Андрей Викторович",
     "kind": "entrepreneur", "relations": ("supplier",), "inn": _inn("5001007322"),
     "ogrn": _ogrn("30450011600015"), "legal_address": _address("Подольск", "Московская обл.", "ул. Кирова",
                                                                 "д. 12", "142100"),
     "email": "kuznetsov.av@example.ru", "phone": "+79161234567", "status": "prospect"},
]

CONTACTS = [  # (counterparty INN body, last, first, middle, position, email, phone)
    ("770512345", "Морозов", "Дмитрий", "Сергеевич", "Менеджер по продажам", "morozov@tehsnab.example",
     "+74951234568"),
    ("781234567", "Лебедева", "Анна", "Олеговна", "Руководитель отдела продаж", "lebedeva@sever-instrument.example",
     "+78121234568"),
    ("667012345", "Гусев", "Павел", "Игоревич", "Коммерческий директор", "gusev@promarmatura.example",
     "+73431234568"),
]


def load(request, echo) -> None:
    svc = request.types
    info = svc.info("counterparty")
    by_inn = {getattr(o, "inn", None): o for o in svc.container(info).values()}
    for data in COUNTERPARTIES:
        if data["inn"] in by_inn:
            continue
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in data.items() if k != "status"}
        obj = svc.create(info, svc.validate_json(info, values, partial=True))
        if data["status"] == "approved":
            svc.transition(obj, "approve")
        by_inn[data["inn"]] = obj
        echo(f"counterparty {obj.id} {data['name']}")
    contact = svc.info("contact")
    existing = {getattr(o, "email", None) for o in svc.container(contact).values()}
    for body, last, first, middle, position, email, phone in CONTACTS:
        if email in existing:
            continue
        company = by_inn[_inn(body)]
        svc.create(contact, svc.validate_json(contact, {
            "name": {"last": last, "first": first, "middle": middle}, "counterparty": company.id,
            "position": position, "email": email, "phone": phone}, partial=True))
        echo(f"contact {email}")
    from procura.security import get_user

    if get_user(request.app_root, PORTAL_LOGIN) is None:
        first = by_inn[_inn("770512345")]
        user = svc.create(svc.info("user"), {
            "login": PORTAL_LOGIN, "name": PersonName("Морозов", "Дмитрий", "Сергеевич"), "kind": "portal",
            "active": True, "email": "morozov@tehsnab.example", "counterparty": first.id})
        user.set_password(PORTAL_PASSWORD)
        echo(f"portal user {PORTAL_LOGIN} ({first.name})")


DEMO_LOGINS = [(PORTAL_LOGIN, PORTAL_PASSWORD, _("Supplier portal user of ООО «Техснаб»"))]
