"""The replica's data: a deterministic fake of www.alanews.it's content.

Nothing here imports the crawler (``alanews``): this is the independent truth
the crawl is compared against. :func:`expected_item` is what a person reads on
the article's page, whatever shape ``replica.render`` gives it.

Each article carries variant flags (index-driven, so every variant occurs at
small sizes too) that ``replica.render`` turns into the page shapes of
docs/site.md, including those seen on other real JNews sites:

* structured data: ``no_yoast`` (no SEO plugin graph), ``no_meta`` (no
  ``article:*`` meta), ``no_jnews_ld`` (no theme JSON-LD); ``seo_plugin`` says
  whose graph the head holds: Yoast's, All in One SEO's (its dates the UTC clock
  time with the local offset, hours off; the meta stays right) or Rank Math's
  (``keywords`` its focus keyword, not the tags); ``title_suffix``: the graph's
  headline and og:title end with " - Alanews";
* templates: ``template`` "1", "2" (breadcrumbs and header before the row that
  holds the main column) or "custom" (Elementor-built: title, meta, content,
  tag and related blocks of their own, no ``.entry-header``);
* byline: ``date_style`` std | lower | ordinal | time | numeric (21/04/2026) |
  ampm (1:32 pm) | utc (the UTC day and clock with "UTC"); ``shows_modified``;
* body and parts: ``author_box`` "jnews" (.jeg_authorbox after the content) or
  "molongui" (.m-a-box inside .content-inner); ``callouts`` (newsletter sign-up
  and a "comment below" call-out inside the content); ``empty_paragraph``;
  ``entities`` (title, subtitle and a paragraph with ``Sport&notizie``,
  ``&region=``, ``&copy=``: decoded twice they break);
* media: ``video_kind`` iframe | video in the content, or in the featured slot
  with ``featured_video`` (no og:video; a JSON-LD VideoObject on some);
  ``caption_style`` wp (p.wp-caption-text) | figcaption | featured_caption
  (the theme's block under the featured image);
* bytes: ``stray_byte``: the served UTF-8 page holds one windows-1252 byte
  (0x92, the apostrophe ’) in the body.
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")
UTC = timezone.utc

# The site's category table (path -> display name), menu order.
CATEGORIES: dict[str, str] = {
    "cronaca": "Cronaca",
    "politica": "Politica",
    "economia": "Economia",
    "esteri": "Esteri",
    "sport": "Sport",
    "sport/calcio": "Calcio",
    "spettacoli": "Spettacoli",
    "salute": "Salute",
    "tecnologia": "Tecnologia",
    "cultura": "Cultura",
    "ambiente": "Ambiente",
    "cronaca/video": "Video",
}
# Categories outside the menu (a real site has some: press releases, columns): no category
# spider walks their archives, only the sitemaps list their posts (python -m replica --unlisted).
OFF_MENU: dict[str, str] = {"comunicati": "Comunicati stampa"}
CATEGORY_NAMES: dict[str, str] = {**CATEGORIES, **OFF_MENU}

MONTHS = ["Gennaio", "Febbraio", "Marzo", "Aprile", "Maggio", "Giugno", "Luglio",
          "Agosto", "Settembre", "Ottobre", "Novembre", "Dicembre"]
WEEKDAYS = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]

START = datetime(2026, 3, 20, 0, 0, tzinfo=ROME)
END = datetime(2026, 11, 20, 21, 0, tzinfo=ROME)
TODAY = date(2026, 11, 20)  # the site's "today" (top-bar date)

DATE_STYLES = ("std", "lower", "ordinal", "time", "numeric", "ampm", "utc")
TIMED_STYLES = ("time", "ampm", "utc")  # bylines that show a time
MONTHS_SHORT = ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"]
RELATED_STYLES = ("plain", "utm", "respond", "utm+respond")
UTM_QUERY = "?utm_source=related&utm_medium=jnews"


def slugify(text: str) -> str:
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = re.sub(r"[’'`]", "-", t)
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return re.sub(r"-{2,}", "-", t)


def ucfirst(s: str) -> str:
    return s[:1].upper() + s[1:]


def rome(dt: datetime) -> datetime:
    return dt.astimezone(ROME)


def fmt_visible(dt: datetime, style: str) -> str:
    """JNews visible date in the given style (dt in Rome time)."""
    m = MONTHS[dt.month - 1]
    if style == "lower":
        return f"{dt.day} {m.lower()} {dt.year}"
    if style == "ordinal" and dt.day == 1:
        return f"1° {m} {dt.year}"
    if style == "time":
        return f"{dt.day} {m} {dt.year} - {dt.hour:02d}:{dt.minute:02d}"
    if style == "numeric":
        return f"{dt.day:02d}/{dt.month:02d}/{dt.year}"
    if style == "ampm":
        return f"{dt.day} {m} {dt.year} {(dt.hour + 11) % 12 + 1}:{dt.minute:02d} {'pm' if dt.hour >= 12 else 'am'}"
    if style == "utc":
        u = dt.astimezone(UTC)
        return f"{u.day} {MONTHS_SHORT[u.month - 1]} {u.year} {u.hour:02d}:{u.minute:02d}:{u.second:02d} UTC"
    return f"{dt.day} {m} {dt.year}"


def fmt_std(dt: datetime) -> str:
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt.year}"


def fmt_top_date(d: date) -> str:
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}"


@dataclass
class Article:
    post_id: int
    slug: str
    title: str
    subtitle: str | None
    author: str | None
    author_slug: str | None
    published: datetime           # aware, Europe/Rome, whole minutes
    modified: datetime            # aware, Europe/Rome, >= published
    category_path: str            # primary category path
    listed_in: list[str]          # extra archive paths (cross-listing)
    tags: list[str]
    blocks: list[tuple[str, str]]  # ("p"|"h2", text)
    # (path, caption-or-None); path is site-relative ("/wp-content/uploads/…/slug.jpg"),
    # prefix it with base_url for the full-size URL (see image_url()).
    image: tuple[str, str | None] | None
    # absolute (YouTube embed) or site-relative ("/wp-content/…mp4"); see video_src().
    video_url: str | None
    related: list[int]            # 6 post ids
    # --- variant flags ---
    no_yoast: bool = False        # no Yoast JSON-LD graph
    no_meta: bool = False         # no article:* meta
    no_jnews_ld: bool = False     # no JNews footer JSON-LD
    date_style: str = "std"       # std | lower | ordinal | time
    shows_modified: bool = False  # edited on a later day: visible date = modified
    video_kind: str | None = None  # "iframe" | "video" | None
    related_style: str = "plain"  # plain | utm | respond | utm+respond
    empty_paragraph: bool = False  # a stray <p>&nbsp;</p> in the body (not body text)
    seo_plugin: str = "yoast"     # the head's graph unless no_yoast: yoast | aioseo | rankmath
    focus_keyword: str | None = None  # Rank Math's "keywords" (not the tags)
    title_suffix: bool = False    # graph headline and og:title end with " - Alanews"
    template: str = "1"           # JNews single template: "1" | "2" | "custom"
    author_box: str | None = None  # "jnews" | "molongui" | None
    callouts: bool = False        # newsletter sign-up and comment call-out inside the content
    featured_video: bool = False  # the player in the featured slot, not in the content
    video_ld: bool = False        # a JSON-LD VideoObject for the video
    caption_style: str = "wp"     # wp | figcaption | featured_caption
    entities: bool = False        # text whose HTML escapes break when decoded twice
    stray_byte: bool = False      # one windows-1252 byte (0x92) in the served UTF-8 page
    listed: bool = True           # False: no archive and no Related Posts block lists it
    revision: int = 0             # edits made through Site.edit
    canonical: str | None = None  # <link rel=canonical> and og:url naming another URL (see Site.set_canonical)
    related_paths: list[str] = field(default_factory=list, repr=False)

    # -- derived --
    @property
    def path(self) -> str:
        p = self.published
        return f"/{p.year:04d}/{p.month:02d}/{p.day:02d}/{self.category_path}/{self.slug}/"

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path

    @property
    def category(self) -> str:
        return CATEGORY_NAMES[self.category_path]

    @property
    def hidden(self) -> bool:
        """Reached through no listing page and no related post: only the sitemaps list it."""
        return not self.listed or self.category_path in OFF_MENU

    @property
    def no_structured(self) -> bool:
        return self.no_yoast and self.no_meta and self.no_jnews_ld

    @property
    def has_structured(self) -> bool:
        return not self.no_structured

    @property
    def visible_dt(self) -> datetime:
        return self.modified if self.shows_modified else self.published

    @property
    def visible_date(self) -> str:
        return fmt_visible(self.visible_dt, self.date_style)

    @property
    def visible_has_time(self) -> bool:
        return self.date_style in TIMED_STYLES

    def image_url(self, base_url: str) -> str | None:
        if not self.image:
            return None
        return base_url.rstrip("/") + self.image[0]

    def image_sized(self, base_url: str, size: str) -> str | None:
        u = self.image_url(base_url)
        return None if u is None else u[:-4] + f"-{size}.jpg"

    def video_src(self, base_url: str) -> str | None:
        if not self.video_url:
            return None
        if self.video_url.startswith("/"):
            return base_url.rstrip("/") + self.video_url
        return self.video_url

    @property
    def body_text(self) -> str | None:
        texts = [t for _, t in self.blocks]
        return "\n\n".join(texts) if texts else None

    def excerpt(self, words: int = 20) -> str:
        src = next((t for k, t in self.blocks if k == "p"), None) or self.subtitle or self.title
        w = src.split()
        return " ".join(w[:words]) + (" ..." if len(w) > words else "")

    def flags(self) -> list[str]:
        """Names of the variant flags this article carries."""
        f = []
        if self.no_structured:
            f.append("no_structured")
        else:
            if self.no_yoast:
                f.append("no_yoast")
            if self.no_meta:
                f.append("no_meta")
            if self.no_jnews_ld:
                f.append("no_jnews_ld")
        if self.subtitle is None:
            f.append("no_subtitle")
        if self.author is None:
            f.append("no_author")
        if self.image is None:
            f.append("no_image")
        elif self.image[1] is None:
            f.append("image_no_caption")
        if not self.tags:
            f.append("no_tags")
        f.append("date_" + self.date_style)
        if self.shows_modified:
            f.append("shows_modified")
        if self.video_kind:
            f.append("video_" + self.video_kind)
            if self.body_text is None:
                f.append("video_no_text")
        if self.related_style != "plain":
            f.append("related_" + self.related_style)
        if self.listed_in:
            f.append("cross_listed")
        if self.empty_paragraph:
            f.append("empty_paragraph")
        if self.no_structured and self.shows_modified and self.visible_has_time:
            f.append("combo_nosd_modified_time")
        if not self.no_yoast:
            f.append("seo_" + self.seo_plugin)
        if self.title_suffix:
            f.append("title_suffix")
        f.append("template_" + self.template)
        if self.author_box and self.author:
            f.append("author_box_" + self.author_box)
        if self.callouts:
            f.append("callouts")
        if self.featured_video and self.video_kind:
            f.append("featured_video_" + self.video_kind)
            if self.video_ld:
                f.append("video_ld")
        if self.image and self.image[1]:
            f.append("caption_" + self.caption_style)
            if self.no_yoast:
                f.append("caption_" + self.caption_style + "_markup_only")
        if self.entities:
            f.append("entities")
        if self.stray_byte:
            f.append("stray_byte")
        if self.category_path in OFF_MENU:
            f.append("off_menu")
        elif not self.listed:
            f.append("unlisted")
        if self.published.day == 1:
            f.append("day_one")
        if (self.published.date() in (date(2026, 3, 29), date(2026, 10, 25))
                and 1 <= self.published.hour <= 3):
            f.append("dst_edge")
        return f


def expected_item(article: Article, base_url: str) -> dict:
    """What an ideal extractor produces from the article's page (no scraped_at)."""
    a = article
    base = base_url.rstrip("/")
    if a.has_structured:
        published = a.published.isoformat()
        modified = a.modified.isoformat()
    else:
        if not a.shows_modified and a.visible_has_time:
            published = a.published.isoformat()
        else:
            published = a.published.date().isoformat()
        if a.shows_modified:
            modified = (a.modified.isoformat() if a.visible_has_time
                        else a.modified.date().isoformat())
        else:
            modified = None
    return {
        "url": base + a.path,
        "title": a.title,
        "subtitle": a.subtitle,
        "author": a.author,
        "published": published,
        "modified": modified,
        "category": a.category,
        "category_path": a.category_path,
        "tags": list(a.tags),
        "body": a.body_text,
        "image_url": a.image_url(base),
        "image_caption": a.image[1] if a.image else None,
        "video_url": a.video_src(base),
        "related_urls": [base + p for p in a.related_paths],
        "post_id": a.post_id,
        "language": "it",
    }


# ---------------------------------------------------------------- text banks
AUTHORS = ["Federico Liberi", "Giulia Ferraresi", "Marco Santoro", "Chiara D’Amico",
           "Luca Bernardini", "Francesca Rinaldi", "Niccolò Pellegrini", "Redazione Alanews"]

PEOPLE = {
    "esteri": ["Lavrov", "Zelensky", "Trump", "Macron", "Merz", "Von der Leyen", "Erdoğan", "Sánchez", "Netanyahu"],
    "politica": ["Meloni", "Schlein", "Tajani", "Salvini", "Conte", "Mattarella", "Calenda", "Renzi"],
    "cronaca": ["il procuratore", "il sindaco", "la gip", "i carabinieri", "il prefetto", "la famiglia"],
    "cronaca/video": ["il testimone", "il sindaco", "il rabbino", "i vigili del fuoco", "la polizia"],
    "economia": ["Giorgetti", "l’Istat", "Bankitalia", "Confindustria", "la Bce", "Urso"],
    "sport": ["Sinner", "Malagò", "Tamberi", "Jacobs", "Brignone", "Ganna"],
    "sport/calcio": ["Spalletti", "Inzaghi", "Conte", "Allegri", "Gasperini", "Gattuso"],
    "spettacoli": ["Amadeus", "Carlo Conti", "Laura Pausini", "Fiorello", "Sorrentino", "Mahmood"],
    "salute": ["Schillaci", "l’Iss", "l’Oms", "i pediatri", "l’Aifa", "gli oncologi"],
    "tecnologia": ["Apple", "OpenAI", "Google", "Meta", "l’Agcom", "Stellantis"],
    "cultura": ["Giuli", "gli Uffizi", "il Colosseo", "la Scala", "Zuppi", "la Biennale"],
    "ambiente": ["Legambiente", "il Wwf", "Pichetto Fratin", "la Protezione civile", "l’Ispra", "Greenpeace"],
}
PLACES = ["Roma", "Milano", "Napoli", "Torino", "Bruxelles", "Washington", "Mosca", "Kiev",
          "Firenze", "Bologna", "Genova", "Palermo", "Bari", "Venezia", "Parigi", "Berlino",
          "Garlasco", "Perù", "Città del Vaticano", "Forlì"]
TOPICS = {
    "esteri": ["la sicurezza collettiva", "i negoziati sull’Ucraina", "i dazi", "la Nato", "il Medio Oriente", "le sanzioni"],
    "politica": ["la manovra", "il premierato", "la legge elettorale", "l’autonomia", "il salario minimo", "la riforma della giustizia"],
    "cronaca": ["l’incidente probatorio", "le indagini", "il processo", "la rapina", "l’incendio", "lo sgombero"],
    "cronaca/video": ["l’aggressione", "il corteo", "l’alluvione", "il crollo", "lo sciopero", "la protesta"],
    "economia": ["l’inflazione", "il Pil", "lo spread", "le pensioni", "il caro energia", "l’occupazione"],
    "sport": ["le Olimpiadi", "le Finals", "il Giro d’Italia", "i Mondiali", "la Coppa Davis", "il record"],
    "sport/calcio": ["il derby", "la Champions", "il mercato", "la Serie A", "lo scudetto", "la Nazionale"],
    "spettacoli": ["Sanremo", "il nuovo film", "il tour", "la Mostra di Venezia", "il David di Donatello", "la serie tv"],
    "salute": ["i vaccini", "le liste d’attesa", "il tumore al seno", "l’influenza", "il Servizio sanitario", "la prevenzione"],
    "tecnologia": ["l’intelligenza artificiale", "lo smartphone", "la cybersicurezza", "il 5G", "l’auto elettrica", "i chip"],
    "cultura": ["la mostra", "il Memoriale della Shoah", "il restauro", "il festival", "il museo", "il libro"],
    "ambiente": ["la siccità", "lo smog", "il clima", "le rinnovabili", "la plastica", "gli incendi boschivi"],
}
QUOTES = ["Serve maggiore pressione", "Non arretreremo di un passo", "È un passo avanti decisivo",
          "Superate le incomprensioni", "Pronti alla guerra", "Europa più forte",
          "Nessuno verrà lasciato indietro", "La situazione è grave", "Ora risposte concrete",
          "Un risultato storico", "Va superata la logica della brutalità", "Così non si può andare avanti",
          "Lavoriamo per l’unità", "Più risorse per tutti", "È un giorno di festa"]
VERBS = ["annuncia", "rilancia", "respinge", "chiede", "conferma", "denuncia", "propone", "critica",
         "difende", "apre su", "frena su", "accelera su"]
TAG_BANK = ["Russia", "Ucraina", "Ultim'ora", "USA", "Governo", "Meloni", "Roma", "Milano",
            "Serie A", "Salute", "Clima", "Intelligenza artificiale", "Unione Europea", "Mattarella",
            "Inflazione", "Cinema", "Musica", "Tennis", "Sanità", "Scuola", "Giustizia", "Medio Oriente",
            "Ricerca & Sviluppo", "Città d’arte"]
CAPTION_SRC = ["EPA/ALEXANDER NEMENOV/AFP / POOL - alanews", "ANSA/ETTORE FERRARI - alanews",
               "Foto di repertorio - alanews", "LaPresse - alanews", "Imagoeconomica - alanews",
               "EPA/OLIVIER HOSLET - alanews"]
SENTENCES = [
    "Secondo quanto riferito dalle agenzie, la questione resta al centro del dibattito.",
    "Le parti hanno confermato la volontà di proseguire il confronto nei prossimi giorni.",
    "Il ministro ha sottolineato che non si tratta soltanto di un problema tecnico ma di una scelta politica più ampia.",
    "Già nelle scorse settimane erano emerse perplessità, e l’opposizione aveva chiesto chiarimenti in Parlamento.",
    "Più di una fonte ha definito la giornata “molto, molto importante” per l’evoluzione della vicenda.",
    "Restano tuttavia aperti diversi nodi, a partire dalle risorse disponibili.",
    "La città si è fermata per qualche ora, tra traffico rallentato e controlli.",
    "La situazione è tornata presto alla normalità, come confermato dalla questura.",
    "Gli esperti invitano alla prudenza: i dati disponibili sono ancora parziali e andranno verificati.",
    "Intanto cresce l’attesa per le prossime decisioni, attese entro la fine del mese.",
    "Non è la prima volta che accade, e secondo gli osservatori non sarà l’ultima.",
    "Le associazioni dei consumatori & dei cittadini hanno già annunciato iniziative comuni.",
    "“Andremo fino in fondo”, ha dichiarato uno dei protagonisti ai cronisti presenti.",
    "Il confronto proseguirà a Bruxelles, dove è previsto un nuovo vertice già la prossima settimana.",
    "Nel frattempo la Procura ha aperto un fascicolo per fare piena luce sull’accaduto.",
    "La notizia è stata accolta con favore da buona parte del mondo produttivo.",
    "Sui social non sono mancate le polemiche, con migliaia di commenti in poche ore.",
    "Il sindaco ha convocato un tavolo tecnico con le categorie interessate.",
    "Questi sviluppi segnano un momento cruciale e potrebbero influenzare le scelte dei prossimi mesi.",
    "L’obiettivo dichiarato è chiudere l’intesa prima della pausa estiva, ma i tempi restano incerti.",
    "A pesare è soprattutto l’incertezza sul quadro internazionale, che frena gli investimenti.",
    "Per gli addetti ai lavori si tratta di un segnale importante, anche se non risolutivo.",
]


class Site:
    """Deterministic fake content of the site.

    ``articles`` newest first; ``by_id``; ``by_path`` (canonical path -> Article);
    ``archive(path)``; ``publish(k)``, ``edit(post_id, kind)``, ``unpublish(post_id)``, ``rename(post_id, slug, category_path)``.
    """

    def __init__(self, n_articles: int = 300, seed: int = 1, unlisted: int = 0):
        self.seed = seed
        self.rng = random.Random(seed)
        self._slugs: set[str] = set()
        self._count = 0          # number of articles ever generated (flag index)
        self.articles: list[Article] = []
        self.by_id: dict[int, Article] = {}
        self.by_path: dict[str, Article] = {}
        self.version = 0         # bumped on every change (cache invalidation)
        self.max_id = 9999       # the highest post id ever given
        self.moved: dict[str, int] = {}  # old permalink path -> id of the post moved away from it (301)
        self.removed: dict[int, Article] = {}  # post id -> the post as it was when taken off the site
        times = self._timeline(n_articles)
        chrono: list[Article] = []
        for i, t in enumerate(times):
            chrono.append(self._make(i, t, self._category_for(i, n_articles)))
        self._hide(chrono, unlisted)
        for i, a in enumerate(chrono):
            a.related = self._pick_related(chrono, i)
        self._add(chrono)

    # ---------------------------------------------------------- generation
    def _timeline(self, n: int) -> list[datetime]:
        rng = self.rng
        special = [
            datetime(2026, 3, 29, 1, 30, tzinfo=ROME),
            datetime(2026, 3, 29, 3, 30, tzinfo=ROME),
            datetime(2026, 10, 25, 1, 30, tzinfo=ROME),
            datetime(2026, 10, 25, 2, 30, tzinfo=ROME),            # CEST (first 02:30)
            datetime(2026, 10, 25, 2, 45, fold=1, tzinfo=ROME),    # CET (second pass)
            datetime(2026, 10, 25, 3, 30, tzinfo=ROME),
            datetime(2026, 6, 14, 0, 20, tzinfo=ROME),             # UTC date = previous day
            datetime(2026, 11, 1, 0, 10, tzinfo=ROME),             # UTC date = previous day
            datetime(2026, 3, 31, 23, 50, tzinfo=ROME),
        ]
        # several posts on the 1st of each month
        for m in range(4, 12):
            special.append(datetime(2026, m, 1, 9 + m % 5, 5 * m % 60, tzinfo=ROME))
            special.append(datetime(2026, m, 1, 16, 40 - m, tzinfo=ROME))
        if n < len(special) * 3:
            # keep the DST edges and a day-one post per month or so
            special = special[:6] + special[9::3]
        special = special[: max(0, n // 2)]
        span = int((END - START).total_seconds() // 60)
        seen = {int(t.timestamp()) for t in special}
        out = list(special)
        while len(out) < n:
            t = START + timedelta(minutes=rng.randrange(span))
            t = t.astimezone(ROME)
            if not (6 <= t.hour <= 23):
                continue
            t = datetime(t.year, t.month, t.day, t.hour, t.minute, tzinfo=ROME)
            ts = int(t.timestamp())
            if ts in seen:
                continue
            seen.add(ts)
            out.append(t)
        out.sort(key=lambda d: d.timestamp())
        return out

    def _category_for(self, i: int, n: int) -> str:
        paths = list(CATEGORIES)
        # spread the first posts so every category has articles, even at small sizes
        stride = max(1, n // len(paths))
        if i % stride == 0 and i // stride < len(paths):
            return paths[i // stride]
        weights = [14, 12, 8, 16, 5, 8, 5, 4, 4, 4, 4, 10]
        return self.rng.choices(paths, weights)[0]

    def _title(self, cat: str) -> str:
        r = self.rng
        who = r.choice(PEOPLE[cat])
        who_capital = who[0].upper() + who[1:]
        what = r.choice(TOPICS[cat])
        place = r.choice(PLACES)
        form = r.randrange(6)
        if form == 0:
            return f"{place}, {who}: “{r.choice(QUOTES)}”"
        if form == 1:
            return f"{who_capital} {r.choice(VERBS)} {what}: “{r.choice(QUOTES)}”"
        if form == 2:
            return f"{what[0].upper() + what[1:]}, {who} {r.choice(VERBS)} {r.choice(TOPICS[cat])}"
        if form == 3:
            return f"{place}: {what} & {r.choice(TOPICS[cat])}, {who} {r.choice(VERBS)} l’accordo"
        if form == 4:
            return f"{who_capital} a {place}: “{r.choice(QUOTES)}” sull’ipotesi di {what.split(' ', 1)[-1]}"
        return f"{place}, {what}: è già polemica. {who_capital} {r.choice(VERBS)} la città"

    def _sentences(self, k: int) -> str:
        return " ".join(self.rng.sample(SENTENCES, k))

    def _blocks(self, cat: str, video: bool, no_text: bool = False) -> list[tuple[str, str]]:
        r = self.rng
        if video:
            if no_text:
                return []
            return [("p", self._sentences(1))]
        n_p = r.randint(3, 7)
        out: list[tuple[str, str]] = []
        lead = f"{r.choice(PLACES)} – {ucfirst(r.choice(PEOPLE[cat]))} è intervenuto su {r.choice(TOPICS[cat])}: “{r.choice(QUOTES)}”. "
        out.append(("p", lead + self._sentences(r.randint(2, 4))))
        for j in range(1, n_p):
            if j in (1, 3, 5) and r.random() < 0.6:
                h = f"{ucfirst(r.choice(TOPICS[cat]))} e {r.choice(TOPICS[cat])}"
                out.append(("h2", h))
            out.append(("p", self._sentences(r.randint(2, 5))))
        return out

    def _unique_slug(self, title: str) -> str:
        base = slugify(title)[:90].strip("-")
        s, k = base, 2
        while s in self._slugs:
            s = f"{base}-{k}"
            k += 1
        self._slugs.add(s)
        return s

    def _make(self, i: int, published: datetime, cat: str) -> Article:
        r = self.rng
        # --- flags, index-driven so every variant occurs at small sizes ---
        sd = i % 16
        no_yoast = sd in (0, 3, 12, 14)
        no_meta = sd in (0, 6, 12)
        no_jnews = sd in (0, 9, 14)
        video = i % 9 == 0 and i > 0
        if video and i % 18 == 0:
            cat = "cronaca/video" if r.random() < 0.8 else cat
        elif video and cat != "cronaca/video" and r.random() < 0.6:
            cat = "cronaca/video"
        shows_modified = i % 6 == 3
        style = ["std", "lower", "std", "time", "std", "lower", "time"][i % 7]
        if published.day == 1 and i % 2 == 0:
            style = "ordinal"
            shows_modified = False
        combo = i % 25 == 12
        if combo:
            no_yoast = no_meta = no_jnews = True
            shows_modified = True
            style = "time"
        if i % 25 == 20:  # no structured data, visible date/time is the publication
            no_yoast = no_meta = no_jnews = True
            shows_modified = False
            style = "time"
        if style == "ordinal" and published.day != 1:
            style = "std"
        if style == "std" and i % 10 == 8:
            style = "numeric"
        if style == "time" and i % 4 == 2:
            style = "ampm"
        elif style == "time" and i % 4 == 0:
            style = "utc"
        # the ambiguous 02:xx on the October DST change: keep an unambiguous source
        if published.date() == date(2026, 10, 25) and published.hour == 2:
            no_yoast = False
            style = "std"
        # modified
        if shows_modified:
            modified = published.astimezone(UTC) + timedelta(
                days=r.randint(1, 6), hours=r.randint(0, 5), minutes=r.randint(0, 59))
            if modified > END:  # never edited after the site's "today"
                shows_modified, modified = False, published
        elif i % 4 == 1:
            # edited the same day, a few minutes later (not visible)
            modified = published.astimezone(UTC) + timedelta(minutes=r.randint(3, 50))
            if modified.astimezone(ROME).date() != published.date():
                modified = published
        else:
            modified = published
        modified = modified.astimezone(ROME)
        if modified.date() != published.date() and not shows_modified:
            modified = published
        # a visible local time that is ambiguous (Oct DST change) is never the only source
        if no_yoast and no_meta and no_jnews and style in ("time", "ampm"):
            vis = modified if shows_modified else published
            if vis.replace(fold=1 - vis.fold).utcoffset() != vis.utcoffset():
                style = "std"
        title = self._title(cat)
        slug = self._unique_slug(title)
        if i % 7 == 2:
            subtitle = None
        else:
            s1 = self._sentences(1)
            subtitle = (f"{ucfirst(r.choice(PEOPLE[cat]))} e {r.choice(TOPICS[cat])}: "
                        f"{s1[0].lower()}{s1[1:].rstrip('.')}")
        if i % 11 == 5:
            author = slug_a = None
        else:
            author = r.choice(AUTHORS)
            slug_a = slugify(author)
        img_path = f"/wp-content/uploads/{published.year:04d}/{published.month:02d}/{slug[:60].strip('-')}.jpg"
        if i % 9 == 4:
            image = None
        elif i % 9 == 7:
            image = (img_path, None)
        else:
            image = (img_path, f"{title.split(':')[0].split(',')[0]} | {r.choice(CAPTION_SRC)}")
        tags = [] if i % 8 == 1 else r.sample(TAG_BANK, r.randint(1, 5))
        video_kind = video_url = None
        if video:
            if i % 27 == 0:
                video_kind = "video"
                video_url = (f"/wp-content/uploads/{published.year:04d}/{published.month:02d}/"
                             f"{slug[:50].strip('-')}.mp4")
            else:
                video_kind = "iframe"
                alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                video_url = "https://www.youtube.com/embed/" + "".join(r.choice(alphabet) for _ in range(11))
        blocks = self._blocks(cat, video, no_text=(i // 9) % 2 == 1)
        related_style = {1: "utm", 4: "respond", 6: "utm+respond"}.get(i % 7, "plain")
        listed_in: list[str] = []
        if i % 10 == 7:
            other = {"politica": "esteri", "economia": "esteri", "cronaca": "politica",
                     "esteri": "politica", "sport/calcio": "cronaca", "cronaca/video": "esteri",
                     "salute": "cronaca", "tecnologia": "economia", "ambiente": "cronaca",
                     "cultura": "spettacoli", "spettacoli": "cultura", "sport": "cronaca"}[cat]
            listed_in = [other]
        # shapes seen on other real JNews sites (see the module docstring)
        seo_plugin = {5: "aioseo", 13: "aioseo", 9: "rankmath", 10: "rankmath"}.get(sd, "yoast")
        if seo_plugin == "aioseo" and no_meta:  # its dates are wrong: the meta must be there to be right
            seo_plugin = "yoast"
        template = "custom" if i % 11 == 3 else "2" if i % 5 == 2 else "1"
        featured_video = video and i % 18 == 0
        if featured_video and image:
            image = (image[0], None)  # the player takes the image's place: no caption shown
        entities = i % 7 == 5
        if entities:
            title = f"{title} (Sport&notizie)"
            subtitle = f"{subtitle} – Sport&notizie" if subtitle else subtitle
            blocks = blocks + [("p", "Il servizio di Sport&notizie è su alanews.it/player/?id=7&region=it&copy=1 "
                                     "e in R&amp;D, la rubrica di Ricerca & Sviluppo.")]
        self._count += 1
        return Article(
            post_id=10000 + i, slug=slug, title=title, subtitle=subtitle, author=author,
            author_slug=slug_a, published=published, modified=modified, category_path=cat,
            listed_in=listed_in, tags=tags, blocks=blocks, image=image, video_url=video_url,
            related=[], no_yoast=no_yoast, no_meta=no_meta, no_jnews_ld=no_jnews,
            date_style=style, shows_modified=shows_modified, video_kind=video_kind,
            related_style=related_style, empty_paragraph=(i % 13 == 6 and not video),
            seo_plugin=seo_plugin, focus_keyword=title.split(":")[0].split(",")[0].split()[0].strip("“”"),
            title_suffix=i % 3 == 1, template=template,
            author_box={1: "jnews", 4: "molongui"}.get(i % 6) if author else None, callouts=i % 4 == 2,
            featured_video=featured_video, video_ld=featured_video and i % 36 == 0,
            caption_style={1: "figcaption", 3: "featured_caption"}.get(i % 5, "wp"), entities=entities,
            stray_byte=i % 10 == 6 and any("’" in text for kind, text in blocks if kind == "p"),
        )

    @staticmethod
    def _hide(chrono: list[Article], count: int) -> None:
        """``count`` posts spread over the timeline that no archive lists, alternately in a
        category outside the menu and in a menu category but left out of every archive."""
        for j in range(min(count, len(chrono))):
            a = chrono[(j + 1) * len(chrono) // (count + 1)]
            a.listed_in = []
            if j % 2 == 0:
                a.category_path = next(iter(OFF_MENU))
            else:
                a.listed = False

    def _pick_related(self, chrono: list[Article], i: int) -> list[int]:
        """6 related posts: nearby in time, mostly same category, some others, some newer
        (never a hidden post: only the sitemaps lead to those)."""
        r = self.rng
        a = chrono[i]
        lo, hi = max(0, i - 40), min(len(chrono), i + 15)
        near = [c for c in chrono[lo:hi] if c is not a and not c.hidden]
        if len(near) < 6:
            near = [c for c in chrono if c is not a and not c.hidden]
        same = [c for c in near if c.category_path == a.category_path]
        r.shuffle(same)
        pick = same[:4]
        rest = [c for c in near if c not in pick]
        r.shuffle(rest)
        pick += rest[: 6 - len(pick)]
        if len(pick) < 6:  # tiny sites: allow any post, repeat if ever needed
            pool = [c for c in chrono if c is not a and c not in pick and not c.hidden] or [a]
            while len(pick) < 6:
                pick.append(pool[len(pick) % len(pool)])
        pick.sort(key=lambda c: -c.published.timestamp())
        return [c.post_id for c in pick]

    def _add(self, new: list[Article]) -> None:
        for a in new:
            self.by_id[a.post_id] = a
            self.by_path[a.path] = a
            self.max_id = max(self.max_id, a.post_id)
        for a in new:
            a.related_paths = [self.by_id[p].path for p in a.related]
        self._changed()

    def _changed(self) -> None:
        """Re-sort after any change and bump the version (the server's page cache is keyed by it)."""
        self.articles = sorted(self.by_id.values(), key=lambda a: -a.published.timestamp())
        # post id -> index in ``articles`` (list.index compares dataclasses field by field: O(n) each)
        self.position = {a.post_id: i for i, a in enumerate(self.articles)}
        self.version += 1

    # ---------------------------------------------------------- queries
    def archive(self, path: str) -> list[Article]:
        """Articles listed in the category archive at ``path``, newest first."""
        path = path.strip("/")
        pre = path + "/"
        out = []
        for a in self.articles:
            if not a.listed:
                continue
            for p in [a.category_path, *a.listed_in]:
                if p == path or p.startswith(pre):
                    out.append(a)
                    break
        return out

    def pages(self, path: str, per_page: int = 10) -> int:
        n = len(self.archive(path))
        return max(1, -(-n // per_page))

    def expected(self, base_url: str) -> list[dict]:
        return [expected_item(a, base_url) for a in self.articles]

    def flag_counts(self) -> dict[str, int]:
        c: dict[str, int] = {}
        for a in self.articles:
            for f in a.flags():
                c[f] = c.get(f, 0) + 1
        return dict(sorted(c.items()))

    # ---------------------------------------------------------- edits between runs
    EDITS = ("retitle", "extend", "touch")

    def edit(self, post_id: int, kind: str | None = None, title: str | None = None,
             body: str | None = None) -> Article:
        """Edit a post as an editor would, now: ``modified`` is the current time (a minute past
        the site's newest time if the clock is behind it).

        ``retitle``: a new title (the slug stays, as WordPress keeps a published post's);
        ``extend``: one more paragraph at the end of the body; ``touch``: saved with no
        change (``modified`` moves, the content does not). ``title`` and ``body`` (paragraphs
        separated by a blank line) set them as given, with or without a ``kind``. Edited on a
        later day than published, JNews shows the modified date. KeyError: no such post;
        ValueError: kind, or an empty title or body.
        """
        if kind is not None and kind not in self.EDITS:
            raise ValueError(f"unknown edit {kind!r}; known: {', '.join(self.EDITS)}")
        if title is not None and not title.strip() or body is not None and not body.strip():
            raise ValueError("a title or body given must not be empty")
        a = self.by_id[post_id]
        a.revision += 1
        newest = max(max(x.published, x.modified) for x in self.by_id.values())
        now = datetime.now(UTC).replace(microsecond=0)
        a.modified = max(now, newest.astimezone(UTC) + timedelta(minutes=1)).astimezone(ROME)
        if a.modified.date() != a.published.date():
            a.shows_modified = True
        if kind == "retitle":
            a.title = re.sub(r" \(aggiornamento \d+\)$", "", a.title) + f" (aggiornamento {a.revision})"
        elif kind == "extend":
            sentence = SENTENCES[(a.post_id + a.revision) % len(SENTENCES)]
            a.blocks = [*a.blocks, ("p", f"Aggiornamento delle {a.modified:%H:%M}: {sentence}")]
        if title is not None:
            a.title = title.strip()
        if body is not None:
            a.blocks = [("p", " ".join(p.split())) for p in re.split(r"\n\s*\n", body) if p.strip()]
        self.version += 1
        return a

    def unpublish(self, post_id: int) -> Article:
        """Take a post off the site (trashed, or back to draft): its permalink answers 404, the
        archives close up over it, and Related Posts (computed live by the theme) drop it."""
        a = self.by_id.pop(post_id)
        del self.by_path[a.path]
        self.removed[post_id] = a
        self._relink(post_id)
        self._changed()
        return a

    def rename(self, post_id: int, slug: str | None = None, category_path: str | None = None) -> tuple[str, str]:
        """A post's slug or primary category changed after publication: its permalink changes and
        the old one 301s to it (WordPress keeps ``_wp_old_slug``; its canonical redirect); it leaves
        the old category's archive. Returns (old path, new path). KeyError: no such post or category."""
        if category_path is not None and category_path not in CATEGORIES:
            raise KeyError(category_path)
        a = self.by_id[post_id]
        old = a.path
        del self.by_path[old]
        if slug:
            a.slug = self._unique_slug(slug)
        if category_path:
            a.category_path = category_path
            a.listed_in = [p for p in a.listed_in if p != category_path]
        self.moved[old] = post_id
        self.by_path[a.path] = a
        self._relink(post_id)
        self._changed()
        return old, a.path

    def set_canonical(self, post_id: int, url: str | None) -> None:
        """The post's canonical link and og:url name ``url`` (an SEO plugin's setting), not its permalink."""
        self.by_id[post_id].canonical = url
        self.version += 1

    def _relink(self, post_id: int) -> None:
        """Related Posts after ``post_id`` moved or left."""
        for other in self.by_id.values():
            if post_id in other.related:
                other.related = [p for p in other.related if p in self.by_id]
                other.related_paths = [self.by_id[p].path for p in other.related]

    def publish(self, k: int, category: str | None = None) -> list[Article]:
        """Add k new articles, newer than every existing one, in ``category`` (a path; default: each
        in a random category). Returns them (newest first)."""
        rng_state = self.rng
        self.rng = random.Random(f"{self.seed}-publish-{self._count}")
        try:
            last = self.articles[0].published if self.articles else END
            chrono_old = sorted(self.by_id.values(), key=lambda a: a.published.timestamp())
            new: list[Article] = []
            t = last
            base_i = self.max_id - 10000 + 1  # a deleted post's id is never given again
            for j in range(k):
                t = (t.astimezone(UTC) + timedelta(minutes=self.rng.randint(7, 95))).astimezone(ROME)
                i = base_i + j
                cat = self.rng.choice(list(CATEGORIES))
                a = self._make(i, t, category or cat)
                new.append(a)
            full = chrono_old + new
            for a in new:
                a.related = self._pick_related(full, full.index(a))
            self._add(new)
            return sorted(new, key=lambda a: -a.published.timestamp())
        finally:
            self.rng = rng_state
