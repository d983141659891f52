"""Read the POST forms of a page: their action and their fields, as a browser would submit them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class FormField:
    """One named control: its kind (text, number, date, select, checkbox, textarea, file…), its values."""

    name: str
    kind: str
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False
    required: bool = False
    multiple: bool = False
    inputmode: str = ""


@dataclass
class HtmlForm:
    action: str
    enctype: str
    fields: list[FormField] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted({f.name for f in self.fields})

    def by_name(self) -> dict[str, list[FormField]]:
        grouped: dict[str, list[FormField]] = {}
        for control in self.fields:
            grouped.setdefault(control.name, []).append(control)
        return grouped

    def default_data(self) -> list[tuple[str, str]]:
        """What a browser sends when the form is submitted untouched (first submit button excluded)."""
        data: list[tuple[str, str]] = []
        for control in self.fields:
            if control.kind in ("checkbox", "radio"):
                if control.checked:
                    data.append((control.name, control.value or "on"))
            elif control.kind in ("submit", "button", "reset", "image", "file"):
                continue
            elif control.kind == "select":
                if control.multiple:
                    continue
                data.append((control.name, control.value or (control.options[0] if control.options else "")))
            else:
                data.append((control.name, control.value))
        return data


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: FormField | None = None
        self._in_option = False
        self._option_value: str | None = None
        self._option_text: list[str] = []
        self._option_selected = False
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: (value or "") for key, value in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                action = urljoin(self.page_url, a.get("action") or self.page_url)
                parts = urlsplit(action)
                self._form = HtmlForm(
                    action=parts.path + (f"?{parts.query}" if parts.query else ""),
                    enctype=a.get("enctype", "application/x-www-form-urlencoded"),
                )
                self.forms.append(self._form)
            return
        if self._form is None or "name" not in a or "disabled" in a:
            if tag == "option" and self._select is not None:
                self._start_option(a)
            return
        if tag == "input":
            self._form.fields.append(
                FormField(
                    name=a["name"],
                    kind=a.get("type", "text").lower(),
                    value=a.get("value", ""),
                    checked="checked" in a,
                    required="required" in a,
                    inputmode=a.get("inputmode", ""),
                )
            )
        elif tag == "button":
            self._form.fields.append(FormField(name=a["name"], kind="submit", value=a.get("value", "")))
        elif tag == "select":
            self._select = FormField(name=a["name"], kind="select", required="required" in a, multiple="multiple" in a)
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = FormField(name=a["name"], kind="textarea", required="required" in a)
            self._form.fields.append(self._textarea)

    def _start_option(self, a: dict[str, str]) -> None:
        self._in_option = True
        self._option_value = a.get("value")
        self._option_text = []
        self._option_selected = "selected" in a

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        elif self._in_option:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:  # as browsers do, drop the newline right after <textarea>
                self._textarea.value = self._textarea.value.removeprefix("\r").removeprefix("\n")
            self._textarea = None
        elif tag == "option" and self._select is not None and self._in_option:
            self._in_option = False
            value = self._option_value if self._option_value is not None else "".join(self._option_text).strip()
            self._select.options.append(value)
            if self._option_selected and not self._select.value:
                self._select.value = value


def post_forms(html: str, page_url: str) -> list[HtmlForm]:
    """Every ``<form method="post">`` of the page, with its action made absolute (path and query)."""
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms
