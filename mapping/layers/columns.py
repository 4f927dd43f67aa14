"""Map the column names field teams use to the schema's names.

Headers are compared after normalisation: lower case, accents removed, any run
of spaces or punctuation turned into ``_``, and the group path of KoboToolbox
(``group_site/nom``) and ODK Central (``group_site-nom``) exports dropped.
The synonym lists below are the documented mapping (English, French, and the
names Kobo/ODK forms typically use); README's GIS section prints the same table.
"""

from __future__ import annotations

import re
import unicodedata

from .schema import LayerKind

# canonical name -> synonyms (already normalised)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "post_id": ("post_id", "id_poste", "poste_id", "code_poste", "id", "identifiant", "code",
                "fid_poste", "bcp_id", "bip_id"),
    "crossing_id": ("crossing_id", "id_passage", "passage_id", "code_passage", "point_passage_id",
                    "id_point_passage", "crossing", "passage"),
    "settlement_id": ("settlement_id", "pcode", "p_code", "id_localite", "localite_id",
                      "code_localite", "geonameid", "id", "identifiant", "code"),
    "road_id": ("road_id", "id_route", "route_id", "code_route", "id", "identifiant", "osm_id"),
    "border_id": ("border_id", "id_frontiere", "frontiere_id", "id", "identifiant"),
    "flow_id": ("flow_id", "id_flux", "flux_id", "id"),
    "incident_id": ("incident_id", "id_incident", "id", "identifiant"),
    "river_id": ("river_id", "id_riviere", "riviere_id", "id_fleuve", "id_cours_d_eau", "id",
                 "identifiant", "code"),
    "lake_id": ("lake_id", "id_lac", "lac_id", "id", "identifiant", "code"),
    "name": ("name", "nom", "nom_poste", "post_name", "nom_passage", "crossing_name",
             "nom_localite", "localite", "village", "settlement", "nom_route", "toponyme",
             "site", "site_name", "nom_site", "nom_riviere", "nom_fleuve", "nom_cours_d_eau",
             "river_name", "nom_lac", "lake_name"),
    "name_en": ("name_en", "nom_en", "name_english", "nom_anglais"),
    "name_fr": ("name_fr", "nom_fr", "name_french", "nom_francais"),
    "iso3": ("iso3", "iso", "iso_a3", "adm0_a3", "pays", "country", "country_code",
             "code_pays", "pays_iso3"),
    "iso3_a": ("iso3_a", "pays_a", "country_a", "iso_a", "pays_1", "country_1"),
    "iso3_b": ("iso3_b", "pays_b", "country_b", "iso_b", "pays_2", "country_2"),
    "status": ("status", "statut", "etat_poste", "etat_fonctionnement", "fonctionnement"),
    "agencies": ("agencies", "agences", "services", "services_presents", "agencies_present"),
    "facing_post_id": ("facing_post_id", "poste_en_face", "poste_vis_a_vis", "id_poste_en_face",
                       "facing_post", "poste_miroir", "id_poste_miroir"),
    "building": ("building", "batiment", "etat_batiment", "building_condition"),
    "equipment": ("equipment", "equipement", "equipements", "etat_equipement"),
    "power": ("power", "electricite", "energie", "alimentation_electrique", "electricity"),
    "water": ("water", "eau", "acces_eau", "water_supply"),
    "communications": ("communications", "communication", "telecommunications", "telecoms",
                       "radio", "reseau_telephonique"),
    "connectivity": ("connectivity", "connectivite", "internet", "connexion_internet",
                     "liaison_donnees"),
    "staff": ("staff", "personnel", "effectif", "effectifs", "agents", "nb_agents",
              "nombre_agents", "staff_count"),
    "last_assessed": ("last_assessed", "date_evaluation", "date_evaluation_terrain",
                      "assessment_date", "date_visite", "today", "start", "submissiondate",
                      "_submission_time", "date"),
    "rehab_cost_usd": ("rehab_cost_usd", "cout_rehabilitation_usd", "cout_usd", "cout",
                       "rehab_cost", "cost_usd", "cout_rehabilitation"),
    "capacity_per_day": ("capacity_per_day", "capacite_jour", "capacite_par_jour",
                         "capacite_journaliere", "daily_capacity", "capacity"),
    "kind": ("kind", "type", "type_passage", "crossing_type", "categorie", "nature",
             "type_incident", "incident_type"),
    "modes": ("modes", "mode", "moyens", "moyens_de_transport", "transport_modes",
              "modes_transport"),
    "season": ("season", "saison", "periode_utilisation"),
    "est_daily_crossings": ("est_daily_crossings", "passages_jour", "passages_par_jour",
                            "nb_passages_jour", "daily_crossings", "estimation_passages"),
    "confidence": ("confidence", "confiance", "fiabilite", "niveau_confiance"),
    "last_observed": ("last_observed", "derniere_observation", "date_observation",
                      "observed", "date_obs"),
    "ref": ("ref", "numero", "numero_route", "route_ref", "reference"),
    "road_class": ("road_class", "classe", "classe_route", "class", "highway", "categorie_route",
                   "fclass"),
    "surface": ("surface", "revetement", "type_revetement"),
    "all_season": ("all_season", "praticable_toute_saison", "toute_saison", "permanent",
                   "praticable"),
    "admin1": ("admin1", "admin1_code", "admin1code", "region", "wilaya", "adm1", "adm1_pcode",
               "adm1_name"),
    "population": ("population", "pop", "habitants", "nb_habitants", "population_totale"),
    "population_year": ("population_year", "annee_population", "annee_pop", "pop_year", "annee"),
    "period_start": ("period_start", "debut_periode", "date_debut", "start_date", "debut"),
    "period_end": ("period_end", "fin_periode", "date_fin", "end_date", "fin"),
    "daily_in": ("daily_in", "entrees_jour", "entrees", "entries", "flux_entrant", "in"),
    "daily_out": ("daily_out", "sorties_jour", "sorties", "exits", "flux_sortant", "out"),
    "length_km": ("length_km", "longueur_km", "long_km"),
    "is_g5": ("is_g5", "g5", "g5_sahel"),
    "date": ("date", "date_incident", "incident_date", "jour"),
    "source": ("source", "sources", "origine", "provenance"),
}

LATITUDE = ("latitude", "lat", "y", "coord_y", "gps_latitude", "geopoint_latitude",
            "_geolocation_latitude", "lat_dd", "latitude_dd", "ycoord", "y_coord")
LONGITUDE = ("longitude", "lon", "long", "lng", "x", "coord_x", "gps_longitude",
             "geopoint_longitude", "_geolocation_longitude", "lon_dd", "longitude_dd",
             "xcoord", "x_coord")


def normalise(header: str) -> str:
    """``"Nom du poste "`` -> ``"nom_du_poste"``; ``"grp/Statut"`` -> ``"statut"``."""
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    text = re.split(r"[/:]", text.strip())[-1]
    return re.sub(r"[^0-9a-z_]+", "_", text.lower()).strip("_") or "_"


def _candidates(header: str) -> list[str]:
    """The header, then its tail after ODK's ``group-`` prefixes, normalised."""
    names = [normalise(header)]
    if "-" in header:
        names.append(normalise(header.rsplit("-", 1)[-1]))
    return names


# columns that KoboToolbox and ODK add to every export (normalised): used only when no column
# of the form itself means the same thing (a form's own assessment date wins over ``start``)
FORM_METADATA = frozenset({
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
    "audit", "instanceid", "instance_id", "submissiondate", "key", "submitterid", "submittername",
    "attachmentspresent", "attachmentsexpected", "reviewstate", "edits", "formversion",
})
METADATA_RANK = 2  # schema names first (0), then the form's own columns (1), then metadata
ODK_CENTRAL_SIGNATURE = frozenset({"SubmissionDate", "KEY"})  # then its "Status" is the submission's


def _is_metadata(header: str, odk_central: bool) -> bool:
    """A KoboToolbox/ODK metadata column: ``_id``, ``_submission_time``, ``meta/instanceID``,
    ``start``…, and ODK Central's ``Status`` in an ODK Central export."""
    name = normalise(header)
    return (header.startswith("_") or header.lower().startswith("meta") or name in FORM_METADATA
            or (odk_central and header == "Status"))


def map_columns(headers: list[str], kind: LayerKind) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Rename map ``{field header: schema column}`` for ``kind``, and the headers left unused
    because another header means the same thing, each with the header used instead.

    A header that already is a schema name wins; then, among headers meaning the same
    column, a form's own column wins over a Kobo/ODK metadata column, then the synonym
    listed first in ``SYNONYMS``, then the header that comes first in the file. Metadata
    columns describe the submission, not the feature: they stand in only for a date (the
    time the form was filled), never for an id or a status. Unused metadata columns (every
    export has them) and synonyms beside a column named as the schema names it are not
    listed.
    """
    wanted = set(kind.names)
    odk_central = ODK_CENTRAL_SIGNATURE <= set(headers)
    candidates: dict[str, list[tuple[tuple[int, int, int], str]]] = {}
    for position, header in enumerate(headers):
        if header in wanted:
            candidates.setdefault(header, []).append(((0, -1, position), header))
            continue
        for candidate in _candidates(header):
            target = next((c for c in kind.names if candidate in SYNONYMS.get(c, (c,))), None)
            if target is None:
                continue
            metadata = _is_metadata(header, odk_central)
            column = kind.column(target)
            if metadata and (column is None or column.dtype != "date"):
                break  # an export's _id or _status is the submission's, never the feature's
            preference = (METADATA_RANK if metadata else 1, SYNONYMS.get(target, (target,)).index(candidate),
                          position)
            candidates.setdefault(target, []).append((preference, header))
            break
    mapping: dict[str, str] = {}
    unused: list[tuple[str, str]] = []
    for target, found in candidates.items():
        (_, used), *others = sorted(found)
        mapping[used] = target
        if used not in wanted:  # beside a column with the schema's own name, synonyms are extra columns
            unused += [(header, used) for (kind_rank, _, _), header in others if kind_rank != METADATA_RANK]
    return mapping, sorted(unused, key=lambda pair: headers.index(pair[0]))


# field vocabulary (normalised) -> allowed schema value
VALUE_SYNONYMS: dict[str, str] = {
    "operationnel": "operational", "fonctionnel": "operational", "ouvert": "operational",
    "en_service": "operational", "open": "operational", "functional": "operational",
    "degrade": "degraded", "partiellement_fonctionnel": "degraded", "partially_functional": "degraded",
    "ferme": "closed", "hors_service": "closed", "non_fonctionnel": "closed",
    "prevu": "planned", "planifie": "planned", "en_projet": "planned", "projete": "planned",
    "officiel": "official", "officielle": "official",
    "non_officiel": "unofficial", "non_officielle": "unofficial", "informel": "unofficial",
    "informal": "unofficial", "clandestin": "unofficial",
    "pied": "foot", "a_pied": "foot", "pieton": "foot", "pedestrian": "foot",
    "moto": "motorbike", "motos": "motorbike", "motorcycle": "motorbike",
    "vehicule": "vehicle", "vehicules": "vehicle", "voiture": "vehicle", "camion": "vehicle",
    "car": "vehicle", "truck": "vehicle",
    "betail": "livestock", "cheptel": "livestock", "animaux": "livestock", "transhumance": "livestock",
    "toute_l_annee": "all_year", "permanent": "all_year", "all_year_round": "all_year",
    "saison_seche": "dry", "dry_season": "dry", "seche": "dry",
    "saison_des_pluies": "wet", "hivernage": "wet", "wet_season": "wet", "rainy": "wet",
    "haute": "high", "elevee": "high", "moyenne": "medium", "basse": "low", "faible": "low",
    "nationale": "trunk", "route_nationale": "trunk", "principale": "primary",
    "secondaire": "secondary", "tertiaire": "tertiary", "piste": "track",
    "bitume": "paved", "bitumee": "paved", "goudron": "paved", "asphalt": "paved",
    "non_revetue": "unpaved", "terre": "unpaved", "dirt": "unpaved", "gravel": "unpaved",
    "sable": "sand", "lateritique": "laterite", "inconnu": "unknown",
}

TRUE_WORDS = frozenset({"true", "yes", "oui", "vrai", "1", "y", "o", "t"})
FALSE_WORDS = frozenset({"false", "no", "non", "faux", "0", "n", "f"})


def canonical_value(value: str, allowed: tuple[str, ...]) -> str | None:
    """The allowed value that field text ``value`` means (``"Dégradé"`` -> ``"degraded"``), or None."""
    key = normalise(value)
    if key in allowed:
        return key
    mapped = VALUE_SYNONYMS.get(key)
    return mapped if mapped in allowed else None
