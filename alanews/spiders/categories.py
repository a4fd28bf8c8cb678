"""One spider per category of the site's menu, plus ``alanews`` for all of them."""

from alanews.site import CATEGORIES
from alanews.spiders.base import CategorySpider


class CronacaSpider(CategorySpider):
    name = "cronaca"


class PoliticaSpider(CategorySpider):
    name = "politica"


class EconomiaSpider(CategorySpider):
    name = "economia"


class EsteriSpider(CategorySpider):
    name = "esteri"


class SportSpider(CategorySpider):
    name = "sport"


class CalcioSpider(CategorySpider):
    name = "calcio"


class SpettacoliSpider(CategorySpider):
    name = "spettacoli"


class SaluteSpider(CategorySpider):
    name = "salute"


class TecnologiaSpider(CategorySpider):
    name = "tecnologia"


class CulturaSpider(CategorySpider):
    name = "cultura"


class AmbienteSpider(CategorySpider):
    name = "ambiente"


class VideoSpider(CategorySpider):
    name = "video"


class AlanewsSpider(CategorySpider):
    """Every category, and every related post wherever it belongs."""

    name = "alanews"
    categories = tuple(c.spider for c in CATEGORIES)
    follow_all_related = True
