"""Every string the app shows, in English and French, and the few words shared with analyses.

`t(key, lang, **fmt)` returns a string of `STRINGS` in the language asked (English when the
language is unknown) and fills its `{placeholders}`. Names of services, organisations and sites
are never translated: they are shown as the inventory writes them. Gap sentences come in both
languages from `pathways.analysis.gaps` (`Gap.text(lang)`); category labels from
`pathways.model.inventory.category_label`.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

LANGS: tuple[str, ...] = ("en", "fr")
"""The languages of the interface, the first being the default."""

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "fr": "Français"}
"""Each interface language, named in itself (the language switch)."""

STRINGS: dict[str, dict[str, str]] = {
    # --- frame -------------------------------------------------------------------------------
    "app_title": {"en": "Referral Atlas", "fr": "Referral Atlas"},
    "n_more": {"en": "{n} more", "fr": "{n} autres"},
    "nav_explore": {"en": "Explore", "fr": "Explorer"},
    "nav_workshop": {"en": "Workshop", "fr": "Atelier"},
    "nav_gaps": {"en": "Gaps", "fr": "Lacunes"},
    "nav_compare": {"en": "Compare", "fr": "Comparer"},
    "nav_export": {"en": "Export", "fr": "Exporter"},
    "nav_sites": {"en": "Sites", "fr": "Sites"},
    "sites": {"en": "Sites", "fr": "Sites"},
    "language": {"en": "Language", "fr": "Langue"},
    "illustrative_notice": {
        "en": "Illustrative data: not field-verified; do not use for real referrals.",
        "fr": "Données illustratives : non vérifiées sur le terrain ; "
        "ne pas utiliser pour de vrais référencements.",
    },
    "could_not_load": {
        "en": "Could not load {path}; its site is left out:",
        "fr": "Impossible de charger {path} ; ce site est laissé de côté :",
    },
    "choose_site": {
        "en": "Choose at least one site in the sidebar.",
        "fr": "Choisissez au moins un site dans la barre latérale.",
    },
    "confidential_note": {
        "en": "Confidential services (shelters, safe houses) are shown only at area level.",
        "fr": "Les services confidentiels (hébergements, maisons sûres) ne sont montrés "
        "qu'au niveau de la zone.",
    },
    # --- explore -----------------------------------------------------------------------------
    "explore_title": {"en": "Explore services", "fr": "Explorer les services"},
    "categories": {"en": "Categories", "fr": "Catégories"},
    "all_categories": {"en": "All categories", "fr": "Toutes les catégories"},
    "speaks": {"en": "Speaks", "fr": "Parle"},
    "any_language": {"en": "Any language", "fr": "Toute langue"},
    "count_interpretation": {
        "en": "Count interpretation as speaking it",
        "fr": "Compter l'interprétariat comme parlé",
    },
    "serves_group": {"en": "Serves", "fr": "Accueille"},
    "anyone": {"en": "Anyone", "fr": "Tout le monde"},
    "age": {"en": "Age", "fr": "Âge"},
    "any_age": {"en": "Any age", "fr": "Tout âge"},
    "entry_only": {"en": "Entry points only", "fr": "Points d'entrée seulement"},
    "open_at": {"en": "Open at", "fr": "Ouvert le…"},
    "day": {"en": "Day", "fr": "Jour"},
    "time": {"en": "Time (local)", "fr": "Heure (locale)"},
    "search": {"en": "Search by name", "fr": "Chercher par nom"},
    "search_hint": {"en": "Name or organisation", "fr": "Nom ou organisation"},
    "show_gaps": {"en": "Show gaps on the map", "fr": "Montrer les lacunes sur la carte"},
    "show_filters": {"en": "Show the filters", "fr": "Afficher les filtres"},
    "offline": {
        "en": "Offline basemap (no map tiles)",
        "fr": "Fond de carte hors ligne (sans tuiles)",
    },
    "found": {
        "en": "{n} of {total} services match.",
        "fr": "{n} services sur {total} correspondent.",
    },
    "open_at_caption": {
        "en": "Open {when}, local time at each site; services with unknown hours are left out.",
        "fr": "Ouverts {when}, heure locale de chaque site ; les services aux horaires "
        "inconnus sont écartés.",
    },
    "services": {"en": "Services", "fr": "Services"},
    "pick_hint": {
        "en": "Click a service on the map, or choose a row of the table, to open its card.",
        "fr": "Cliquez sur un service de la carte, ou choisissez une ligne du tableau, "
        "pour ouvrir sa fiche.",
    },
    "no_match": {
        "en": "No service matches these filters.",
        "fr": "Aucun service ne correspond à ces filtres.",
    },
    # groups of the explore filter
    "group_women": {"en": "Women", "fr": "Femmes"},
    "group_girls": {"en": "Girls (under 18)", "fr": "Filles (moins de 18 ans)"},
    "group_boys": {"en": "Boys (under 18)", "fr": "Garçons (moins de 18 ans)"},
    "group_men": {"en": "Men", "fr": "Hommes"},
    "group_lgbtiq": {
        "en": "LGBTIQ+ (services open to non-binary people)",
        "fr": "LGBTIQ+ (services ouverts aux personnes non binaires)",
    },
    "group_nonbinary": {"en": "Non-binary people", "fr": "Personnes non binaires"},
    "group_undocumented": {"en": "Undocumented people", "fr": "Personnes sans papiers"},
    # --- the service card --------------------------------------------------------------------
    "card": {"en": "Service card", "fr": "Fiche du service"},
    "illustrative_short": {"en": "illustrative data", "fr": "données illustratives"},
    "field": {"en": "Field", "fr": "Champ"},
    "value": {"en": "Value", "fr": "Valeur"},
    "site": {"en": "Site", "fr": "Site"},
    "organisation": {"en": "Organisation", "fr": "Organisation"},
    "description": {"en": "Description", "fr": "Description"},
    "entry_point": {"en": "Entry point", "fr": "Point d'entrée"},
    "hours": {"en": "Hours", "fr": "Horaires"},
    "hours_note": {"en": "About the hours", "fr": "À propos des horaires"},
    "languages": {"en": "Languages", "fr": "Langues"},
    "interpretation": {"en": "Interpretation", "fr": "Interprétariat"},
    "serves": {"en": "Serves", "fr": "Public"},
    "legal_status": {"en": "Legal status", "fr": "Statut légal"},
    "cost": {"en": "Cost", "fr": "Coût"},
    "requires": {"en": "Conditions", "fr": "Conditions"},
    "contact": {"en": "Contact", "fr": "Contact"},
    "place": {"en": "Place", "fr": "Lieu"},
    "last_verified": {"en": "Last verified", "fr": "Dernière vérification"},
    "notes": {"en": "Notes", "fr": "Remarques"},
    "pep_stock_confirmed": {
        "en": "PEP kit stock confirmed on",
        "fr": "Stock de kits PEP confirmé le",
    },
    "female_staff": {"en": "A woman can see her", "fr": "Une femme peut la recevoir"},
    "appointment": {"en": "Appointment needed", "fr": "Rendez-vous nécessaire"},
    "interpreter_lead_hours": {
        "en": "Interpreter booked ahead",
        "fr": "Interprète à réserver à l'avance",
    },
    "phone_network": {"en": "Phone network", "fr": "Réseau téléphonique"},
    "network_good": {"en": "good", "fr": "bon"},
    "network_poor": {"en": "poor", "fr": "faible"},
    "network_none": {"en": "none", "fr": "aucun"},
    "focal_point": {"en": "Community focal point", "fr": "Point focal communautaire"},
    "routes_in": {"en": "Referred here by", "fr": "Orienté ici par"},
    "routes_out": {"en": "Refers on to", "fr": "Oriente vers"},
    "no_routes": {"en": "None mapped.", "fr": "Aucune cartographiée."},
    "yes": {"en": "yes", "fr": "oui"},
    "no": {"en": "no", "fr": "non"},
    "not_recorded": {"en": "not recorded", "fr": "non renseigné"},
    "everyone": {"en": "everyone", "fr": "tout le monde"},
    "ages": {"en": "ages {a}–{b}", "fr": "de {a} à {b} ans"},
    "from_age": {"en": "from age {a}", "fr": "à partir de {a} ans"},
    "legal_any": {"en": "any", "fr": "tous"},
    "legal_documented-only": {
        "en": "documented people only",
        "fr": "personnes avec papiers seulement",
    },
    "cost_free": {"en": "free", "fr": "gratuit"},
    "cost_low": {"en": "low cost", "fr": "coût modique"},
    "cost_fee": {"en": "fee", "fr": "payant"},
    "req_police_report": {"en": "a police report", "fr": "un dépôt de plainte"},
    "req_mandatory_reporting": {
        "en": "mandatory reporting",
        "fr": "signalement obligatoire",
    },
    "req_documents": {"en": "identity papers", "fr": "des papiers d'identité"},
    "req_referral_letter": {"en": "a referral letter", "fr": "une lettre d'orientation"},
    "req_fee": {"en": "a fee", "fr": "un paiement"},
    "withheld": {
        "en": "exact location withheld (confidential service): shown at area level only",
        "fr": "adresse exacte masquée (service confidentiel) : montré au niveau de la zone",
    },
    "hidden": {
        "en": "location withheld (confidential service): not on the map",
        "fr": "adresse masquée (service confidentiel) : absent de la carte",
    },
    "always": {"en": "24 hours a day, 7 days a week", "fr": "24 h sur 24, 7 jours sur 7"},
    "unknown_hours": {"en": "hours unknown", "fr": "horaires inconnus"},
    "closed_all_week": {"en": "closed", "fr": "fermé"},
    "with": {"en": "with", "fr": "avec"},
    "for_needs": {"en": "for", "fr": "pour"},
    "how": {"en": "how", "fr": "comment"},
    "delay_h": {"en": "delay (h)", "fr": "délai (h)"},
    "last_tested": {"en": "last tested", "fr": "dernier test"},
    # referral modes
    "mode_escorted": {"en": "escorted", "fr": "accompagnée"},
    "mode_accompanied-call": {"en": "accompanied call", "fr": "appel accompagné"},
    "mode_phone": {"en": "phone", "fr": "téléphone"},
    "mode_form": {"en": "form", "fr": "formulaire"},
    "mode_self": {"en": "on her own", "fr": "par elle-même"},
    # --- table columns -----------------------------------------------------------------------
    "col_site": {"en": "site", "fr": "site"},
    "col_service": {"en": "service", "fr": "service"},
    "col_organisation": {"en": "organisation", "fr": "organisation"},
    "col_categories": {"en": "categories", "fr": "catégories"},
    "col_entry_point": {"en": "entry point", "fr": "point d'entrée"},
    "col_hours": {"en": "hours", "fr": "horaires"},
    "col_languages": {"en": "languages", "fr": "langues"},
    "col_interpretation": {"en": "interpretation", "fr": "interprétariat"},
    "col_serves": {"en": "serves", "fr": "public"},
    "col_confidential": {"en": "confidential", "fr": "confidentiel"},
    "col_severity": {"en": "severity", "fr": "gravité"},
    "col_kind": {"en": "kind", "fr": "type"},
    "col_message": {"en": "message", "fr": "message"},
    "col_services": {"en": "services", "fr": "services"},
    "col_name": {"en": "name", "fr": "nom"},
    "col_country": {"en": "country", "fr": "pays"},
    "col_data_status": {"en": "data_status", "fr": "statut des données"},
    "col_updated": {"en": "updated", "fr": "mis à jour"},
    "col_entry_points": {"en": "entry points", "fr": "points d'entrée"},
    "col_referrals": {"en": "referrals", "fr": "référencements"},
    "col_critical": {"en": "critical", "fr": "critique"},
    "col_major": {"en": "major", "fr": "majeure"},
    "col_minor": {"en": "minor", "fr": "mineure"},
    "col_step": {"en": "#", "fr": "n°"},
    "col_what": {"en": "what", "fr": "quoi"},
    "col_how": {"en": "hand-off", "fr": "passage de relais"},
    "col_handoff_h": {"en": "hand-off (h)", "fr": "relais (h)"},
    "col_wait_h": {"en": "wait (h)", "fr": "attente (h)"},
    "col_seen_h": {"en": "seen after (h)", "fr": "vu après (h)"},
    "col_clock": {"en": "seen at", "fr": "vu à"},
    "col_reason": {"en": "why not", "fr": "pourquoi pas"},
    "col_change": {"en": "change", "fr": "changement"},
    "col_with": {"en": "with", "fr": "avec"},
    "col_for": {"en": "for", "fr": "pour"},
    "col_mode": {"en": "mode", "fr": "mode"},
    "col_delay_h": {"en": "delay (h)", "fr": "délai (h)"},
    "col_last_tested": {"en": "last tested", "fr": "dernier test"},
    "col_field": {"en": "field", "fr": "champ"},
    "col_value": {"en": "value", "fr": "valeur"},
    "col_category": {"en": "category", "fr": "catégorie"},
    "col_reaching": {"en": "entry points reaching it", "fr": "points d'entrée qui y mènent"},
    "col_share": {"en": "share of population", "fr": "part de la population"},
    "col_within": {"en": "within", "fr": "en moins de"},
    # --- gaps page ---------------------------------------------------------------------------
    "gaps_title": {"en": "Referral gaps", "fr": "Lacunes du référencement"},
    "severity": {"en": "Severity", "fr": "Gravité"},
    "sev_critical": {"en": "critical", "fr": "critique"},
    "sev_major": {"en": "major", "fr": "majeure"},
    "sev_minor": {"en": "minor", "fr": "mineure"},
    # gap kinds (`pathways.analysis.gaps.FINDERS`), as the Gaps page lists them
    "gapkind_missing_category": {"en": "missing category", "fr": "catégorie absente"},
    "gapkind_unreachable": {"en": "unreachable", "fr": "inatteignable"},
    "gapkind_time_critical": {"en": "too late (72 h)", "fr": "trop tard (72 h)"},
    "gapkind_time_critical_no_route": {
        "en": "no route to rape care",
        "fr": "aucune voie vers les soins après viol",
    },
    "gapkind_supplies": {"en": "PEP kit stock", "fr": "stock de kits PEP"},
    "policy_off": {"en": "not reported", "fr": "non signalé"},
    "policy_line": {
        "en": "{scope}: {what} at this site. Reason: {reason}",
        "fr": "{scope} : {what} sur ce site. Motif : {reason}",
    },
    "col_action": {"en": "what to do", "fr": "que faire"},
    "site_policy": {"en": "site policy", "fr": "politique du site"},
    "replaced_by": {"en": "replaced by", "fr": "remplacée par"},
    "col_owner": {"en": "who", "fr": "qui"},
    "open_in_workshop": {"en": "Open in the Workshop", "fr": "Ouvrir dans l'atelier"},
    "gapkind_hours": {"en": "nights and weekends", "fr": "nuits et week-ends"},
    "gapkind_single_point_of_failure": {
        "en": "single point of failure",
        "fr": "point de défaillance unique",
    },
    "gapkind_language": {"en": "language", "fr": "langue"},
    "gapkind_eligibility": {"en": "eligibility", "fr": "éligibilité"},
    "gapkind_deterrent": {"en": "deterring condition", "fr": "condition dissuasive"},
    "gapkind_dead_end": {"en": "dead end", "fr": "impasse"},
    "gapkind_orphan": {"en": "orphan service", "fr": "service isolé"},
    "gapkind_stale": {"en": "not verified lately", "fr": "non vérifié récemment"},
    "no_severity": {"en": "no severity chosen", "fr": "aucune gravité choisie"},
    "no_gaps": {
        "en": "No gaps of the chosen severities.",
        "fr": "Aucune lacune de ces gravités.",
    },
    # --- sites page --------------------------------------------------------------------------
    "sites_title": {"en": "Sites", "fr": "Sites"},
    "sites_caption": {
        "en": "data_status 'illustrative': an example inventory, not a field-verified mapping. "
        "Gap counts are by severity; the Gaps page lists them.",
        "fr": "statut « illustrative » : un inventaire d'exemple, pas une cartographie "
        "vérifiée sur le terrain. Les lacunes sont comptées par gravité ; la page Lacunes "
        "les détaille.",
    },
    # --- workshop ----------------------------------------------------------------------------
    "workshop_title": {"en": "Workshop: a survivor's route", "fr": "Atelier : le parcours"},
    "profile": {"en": "Survivor profile", "fr": "Profil de la survivante"},
    "site_one": {"en": "Site", "fr": "Site"},
    "entry": {"en": "Arrives at", "fr": "Arrive à"},
    "needs": {"en": "Needs", "fr": "Besoins"},
    "speaks_only": {"en": "Speaks", "fr": "Parle"},
    "not_asked": {"en": "Not asked", "fr": "Non précisé"},
    "choose": {"en": "Choose", "fr": "Choisir"},
    "accepts_all": {"en": "Accepts every condition", "fr": "Accepte toutes les conditions"},
    "none_closed": {"en": "None: every service open", "fr": "Aucun : tous les services ouverts"},
    "click_to_close": {
        "en": "Or click a service on the map to close it; reopen it here (×).",
        "fr": "Ou cliquez sur un service de la carte pour le fermer ; rouvrez-le ici (×).",
    },
    "gender": {"en": "Gender", "fr": "Genre"},
    "gender_female": {"en": "female", "fr": "féminin"},
    "gender_male": {"en": "male", "fr": "masculin"},
    "gender_nonbinary": {"en": "non-binary", "fr": "non binaire"},
    "legal": {"en": "Legal status", "fr": "Statut légal"},
    "legal_documented": {"en": "documented", "fr": "avec papiers"},
    "legal_undocumented": {"en": "undocumented", "fr": "sans papiers"},
    "arrival_day": {"en": "Arrival day", "fr": "Jour d'arrivée"},
    "arrival_time": {"en": "Arrival time (local)", "fr": "Heure d'arrivée (locale)"},
    "avoid": {"en": "Will not accept", "fr": "N'accepte pas"},
    "what_if": {"en": "What if…", "fr": "Et si…"},
    "access_limits": {
        "en": "Access limits (season, security)",
        "fr": "Limites d'accès (saison, sécurité)",
    },
    "none_limits": {"en": "None holds", "fr": "Aucune"},
    "close_services": {"en": "Close these services", "fr": "Fermer ces services"},
    "interpreters": {"en": "Interpreters available", "fr": "Interprètes disponibles"},
    "presentation": {"en": "Presentation view", "fr": "Vue présentation"},
    "route": {"en": "The route", "fr": "Le parcours"},
    "route_total": {
        "en": "All needs met {h} h after arrival.",
        "fr": "Tous les besoins couverts {h} h après l'arrivée.",
    },
    "route_none": {"en": "No route: {reason}", "fr": "Aucun parcours : {reason}"},
    "route_excluded": {"en": "Left out, and why", "fr": "Écartés, et pourquoi"},
    # `Route.describe`, the route as lines of text
    "route_step": {
        "en": "{i}. {name} [{id}] — {what}{how}: seen at {h} h ({clock}){wait}",
        "fr": "{i}. {name} [{id}] — {what}{how} : reçue au bout de {h} h ({clock}){wait}",
    },
    "route_how": {"en": " ({mode}, +{h} h)", "fr": " ({mode}, +{h} h)"},
    "route_how_about": {"en": " ({mode}, about {h} h)", "fr": " ({mode}, environ {h} h)"},
    "route_wait": {
        "en": ", waits {h} h for opening",
        "fr": ", attend {h} h l'ouverture",
    },
    "route_total_line": {"en": "Total: {h} h", "fr": "Total : {h} h"},
    "route_total_about": {
        "en": "Total: about {h} h (times rounded to the hour from the first confidential "
        "service on: its place is known at area level only)",
        "fr": "Total : environ {h} h (temps arrondis à l'heure à partir du premier service "
        "confidentiel : son lieu n'est connu qu'au niveau de la zone)",
    },
    "route_excluded_title": {"en": "Excluded:", "fr": "Écartés :"},
    "colon": {"en": ":", "fr": " :"},
    "route_warning": {"en": "Note: {text}", "fr": "Remarque : {text}"},
    # `pathways route`: the header line, the arrival, phones
    "route_header": {
        "en": "{site} [{id}]{status}: route for {needs} from {start}, {when}",
        "fr": "{site} [{id}]{status} : parcours pour {needs} depuis {start}, {when}",
    },
    "route_illustrative": {"en": " (illustrative data)", "fr": " (données illustratives)"},
    "route_nearest": {"en": "the nearest entry point", "fr": "le point d'entrée le plus proche"},
    "route_arriving": {"en": "arriving {clock}", "fr": "arrivée {clock}"},
    "route_now_day": {"en": "(day: today at the site)", "fr": "(jour : aujourd'hui sur le site)"},
    "route_now_hour": {
        "en": "(time: now at the site)",
        "fr": "(heure : maintenant sur le site)",
    },
    "route_now_day_hour": {"en": "(now at the site)", "fr": "(maintenant sur le site)"},
    "route_phones": {"en": "Phone numbers on this route:", "fr": "Téléphones sur ce parcours :"},
    "route_no_phone": {"en": "no phone listed", "fr": "aucun numéro indiqué"},
    "pep_in_time": {
        "en": "Clinical care after rape is reached {h} h after arrival ({clock}): "
        "in time for post-exposure prophylaxis (within 72 h).",
        "fr": "La prise en charge clinique du viol est atteinte {h} h après l'arrivée "
        "({clock}) : à temps pour la prophylaxie post-exposition (dans les 72 h).",
    },
    "pep_too_late": {
        "en": "Clinical care after rape is reached only {h} h after arrival ({clock}): "
        "too late for post-exposure prophylaxis, which must start within 72 h.",
        "fr": "La prise en charge clinique du viol n'est atteinte que {h} h après "
        "l'arrivée ({clock}) : trop tard pour la prophylaxie post-exposition, qui doit "
        "commencer dans les 72 h.",
    },
    "pep_unreachable": {
        "en": "Clinical care after rape cannot be reached at all for this survivor: "
        "no post-exposure prophylaxis.",
        "fr": "La prise en charge clinique du viol est hors d'atteinte pour cette "
        "survivante : pas de prophylaxie post-exposition.",
    },
    "arrival": {"en": "arrival", "fr": "arrivée"},
    "via": {"en": "via", "fr": "en passant par"},
    "gap_changes": {"en": "What changes", "fr": "Ce qui change"},
    "gaps_new": {"en": "New gaps ({n})", "fr": "Nouvelles lacunes ({n})"},
    "gaps_worse": {"en": "Worse ({n})", "fr": "Pire ({n})"},
    "gaps_better": {"en": "Better ({n})", "fr": "Mieux ({n})"},
    "none_worse": {"en": "Nothing gets worse.", "fr": "Rien ne s'aggrave."},
    "none_better": {"en": "Nothing gets better.", "fr": "Rien ne s'améliore."},
    "gaps_gone": {"en": "Gaps that disappear ({n})", "fr": "Lacunes qui disparaissent ({n})"},
    "gaps_same": {
        "en": "{n} other gaps stay as they are.",
        "fr": "{n} autres lacunes restent inchangées.",
    },
    "no_change": {
        "en": "Close services or turn interpreters off to see what breaks.",
        "fr": "Fermez des services ou retirez les interprètes pour voir ce qui casse.",
    },
    "none_new": {"en": "No new gap.", "fr": "Aucune nouvelle lacune."},
    "none_gone": {"en": "No gap disappears.", "fr": "Aucune lacune ne disparaît."},
    "change_new": {"en": "new", "fr": "nouvelle"},
    "change_gone": {"en": "gone", "fr": "disparue"},
    "change_unchanged": {"en": "unchanged", "fr": "inchangée"},
    "change_changed": {"en": "changed", "fr": "modifiée"},
    "previous": {"en": "Previous", "fr": "Précédente"},
    "next": {"en": "Next", "fr": "Suivante"},
    "gap_of": {"en": "Gap {i} of {n}", "fr": "Lacune {i} sur {n}"},
    "no_gaps_to_read": {"en": "No gap to read out.", "fr": "Aucune lacune à lire."},
    "no_entry_points": {
        "en": "This site maps no entry point.",
        "fr": "Ce site ne cartographie aucun point d'entrée.",
    },
    "route_on_map_missing": {
        "en": "This version of the map cannot draw routes yet; the steps are listed below.",
        "fr": "Cette version de la carte ne dessine pas encore les parcours ; les étapes "
        "sont listées ci-dessous.",
    },
    # --- compare -----------------------------------------------------------------------------
    "compare_title": {"en": "Compare sites", "fr": "Comparer les sites"},
    "headlines": {"en": "Headline figures", "fr": "Chiffres clés"},
    "matrix": {"en": "Services per category", "fr": "Services par catégorie"},
    "matrix_caption": {
        "en": "Each cell: services offering the category (colour), and how many entry points "
        "reach one of them through referral routes.",
        "fr": "Chaque case : les services qui offrent la catégorie (couleur), et combien de "
        "points d'entrée y mènent par des voies de référencement.",
    },
    "coverage": {"en": "Travel-time coverage", "fr": "Couverture en temps de trajet"},
    "coverage_category": {"en": "Category", "fr": "Catégorie"},
    "coverage_caption": {
        "en": "Share of each site's population within 30, 60 and 120 minutes of the nearest "
        "service of the category (straight-line travel model of the site; confidential "
        "services count at their public place).",
        "fr": "Part de la population de chaque site à moins de 30, 60 et 120 minutes du "
        "service le plus proche de la catégorie (modèle de trajet en ligne droite du site ; "
        "les services confidentiels comptent à leur lieu public).",
    },
    "coverage_missing": {
        "en": "No coverage for {site}: {reason}",
        "fr": "Pas de couverture pour {site} : {reason}",
    },
    "coverage_unavailable": {
        "en": "Coverage charts are not available in this version of the mapping package.",
        "fr": "Les graphiques de couverture ne sont pas disponibles dans cette version "
        "du module de cartographie.",
    },
    "minutes": {"en": "{m} min", "fr": "{m} min"},
    # honest coverage: people counted against the site's known total (pathways.analysis.coverage)
    "cov_pct": {"en": "{n}%", "fr": "{n}\u202f%"},
    "cov_pct_below_one": {"en": "<1%", "fr": "<1\u202f%"},
    "cov_missing_generic": {
        "en": "part of the site's people are not in its population file",
        "fr": "une partie des habitants du site n'est pas dans son fichier de population",
    },
    "cov_status_no_total": {
        "en": "{counted} people counted; no known total to check against",
        "fr": "{counted} personnes comptées ; aucun total connu pour vérifier",
    },
    "cov_status_complete": {
        "en": "{counted} of {total} people counted ({pct})",
        "fr": "{counted} personnes comptées sur {total} ({pct})",
    },
    "cov_status_incomplete": {
        "en": "only {counted} of {total} people counted ({pct}): {missing}",
        "fr": "seulement {counted} personnes comptées sur {total} ({pct}) : {missing}",
    },
    "cov_status_spread": {
        "en": "{status}; {spread} of them spread evenly over the area, their places unknown",
        "fr": "{status} ; dont {spread} réparties uniformément sur la zone, lieux inconnus",
    },
    "cov_cli_population": {"en": "population", "fr": "population"},
    "cov_cli_total": {"en": "known total", "fr": "total connu"},
    "cov_cli_counted_as": {"en": "counted as", "fr": "compté comme"},
    "cov_cli_travel": {"en": "travel", "fr": "déplacement"},
    "cov_cli_road": {"en": "road network", "fr": "réseau routier"},
    "travel_walk": {"en": "walking", "fr": "à pied"},
    "travel_transit": {"en": "public transport", "fr": "transports en commun"},
    "travel_car": {"en": "car", "fr": "voiture"},
    "travel_custom": {"en": "local means", "fr": "moyens locaux"},
    "cov_cli_straight": {"en": "straight line x {c}", "fr": "ligne droite x {c}"},
    "cov_cli_category": {"en": "category", "fr": "catégorie"},
    "cov_cli_services": {"en": "services", "fr": "services"},
    "cov_cli_median": {"en": "median", "fr": "médiane"},
    "cov_cli_phone": {"en": "phone", "fr": "téléphone"},
    "cov_ranges_note": {
        "en": "not the site's shares: ranges for its {total} people. The {counted} counted give "
        "the low end; the {uncounted} not counted could live anywhere, so the high end counts "
        "them as within reach. Median: unknown (?).",
        "fr": "pas les parts du site : des fourchettes pour ses {total} habitants. Les {counted} "
        "personnes comptées donnent le bas ; les {uncounted} non comptées peuvent vivre "
        "n'importe où, le haut les compte donc à portée. Médiane : inconnue (?).",
    },
    "cov_people_title": {"en": "People counted", "fr": "Population comptée"},
    "cov_col_counted": {"en": "people counted", "fr": "personnes comptées"},
    "cov_col_total": {"en": "site's known total", "fr": "total connu du site"},
    "cov_col_share": {"en": "share counted", "fr": "part comptée"},
    "cov_col_status": {"en": "coverage figures", "fr": "chiffres de couverture"},
    "cov_col_source": {"en": "counted from", "fr": "comptée d'après"},
    "cov_col_total_source": {"en": "total from", "fr": "total d'après"},
    "cov_state_complete": {"en": "complete", "fr": "complets"},
    "cov_state_incomplete": {
        "en": "incomplete: not charted",
        "fr": "incomplets : pas dans le graphique",
    },
    "cov_state_unknown": {
        "en": "no total to check against",
        "fr": "aucun total pour vérifier",
    },
    "cov_not_charted": {
        "en": "**{site}** is not charted: {status}. Of the {counted} people counted, {share} "
        "live within {m} min; of all {total} people of the site, somewhere between {low} "
        "and {high}.",
        "fr": "**{site}** n'est pas dans le graphique : {status}. Des {counted} personnes "
        "comptées, {share} vivent à moins de {m} min ; de tous les {total} habitants du site, "
        "entre {low} et {high}.",
    },
    "cov_no_total_caption": {
        "en": "{site}: {status}; its shares cannot be checked against a census.",
        "fr": "{site} : {status} ; ses parts ne peuvent pas être vérifiées par un recensement.",
    },
    "h_services": {"en": "services", "fr": "services"},
    "h_referrals": {"en": "referral routes", "fr": "voies de référencement"},
    "h_entry_points": {"en": "entry points", "fr": "points d'entrée"},
    "h_share_pep": {
        "en": "entry points reaching PEP within 72 h at every hour",
        "fr": "points d'entrée atteignant la PPE en 72 h à toute heure",
    },
    "h_handoffs": {
        "en": "median hand-offs to clinical care (Mon 10:00)",
        "fr": "passages de relais médians vers les soins (lun. 10:00)",
    },
    "h_spof": {"en": "single points of failure", "fr": "points de défaillance uniques"},
    "h_critical": {"en": "critical gaps", "fr": "lacunes critiques"},
    "h_major": {"en": "major gaps", "fr": "lacunes majeures"},
    "h_minor": {"en": "minor gaps", "fr": "lacunes mineures"},
    # --- export ------------------------------------------------------------------------------
    "export_title": {"en": "Export", "fr": "Exporter"},
    "export_scope": {
        "en": "Sites: {sites}. {n} services.",
        "fr": "Sites : {sites}. {n} services.",
    },
    "use_filters": {
        "en": "Apply the Explore page's filters to the service exports",
        "fr": "Appliquer les filtres de la page Explorer aux exports de services",
    },
    "filters_none": {
        "en": "The Explore page has no filter set: every service is exported.",
        "fr": "La page Explorer n'a aucun filtre : tous les services sont exportés.",
    },
    "gaps_scope": {
        "en": "Gaps are always found on whole sites; the severity filter applies to them.",
        "fr": "Les lacunes sont toujours cherchées sur les sites entiers ; le filtre de "
        "gravité s'y applique.",
    },
    "downloads": {"en": "Downloads", "fr": "Téléchargements"},
    "preview": {"en": "Preview", "fr": "Aperçu"},
    "preview_of": {"en": "Preview of", "fr": "Aperçu de"},
    "binary_preview": {
        "en": "{name}: {size} (binary file; no text preview).",
        "fr": "{name} : {size} (fichier binaire ; pas d'aperçu texte).",
    },
    "format_unavailable": {
        "en": "{label}: not available in this installation ({reason}).",
        "fr": "{label} : indisponible dans cette installation ({reason}).",
    },
    "per_site": {
        "en": "{label} holds one site per file: one button per site.",
        "fr": "{label} contient un site par fichier : un bouton par site.",
    },
    "fmt_gaps_json": {"en": "Gaps (JSON)", "fr": "Lacunes (JSON)"},
    "fmt_gaps_csv": {"en": "Gaps (CSV)", "fr": "Lacunes (CSV)"},
    "fmt_services_csv": {"en": "Services table (CSV)", "fr": "Tableau des services (CSV)"},
    "fmt_map_html": {"en": "Interactive map (HTML)", "fr": "Carte interactive (HTML)"},
    "fmt_geojson": {"en": "GeoJSON (QGIS)", "fr": "GeoJSON (QGIS)"},
    "fmt_gpkg": {"en": "GeoPackage (QGIS)", "fr": "GeoPackage (QGIS)"},
    "fmt_csv": {"en": "Spreadsheet (CSV)", "fr": "Tableur (CSV)"},
    "fmt_hxl": {"en": "HXL-tagged table (CSV)", "fr": "Tableau balisé HXL (CSV)"},
    "fmt_graphml": {"en": "Referral network (GraphML)", "fr": "Réseau de référencement (GraphML)"},
    "fmt_gexf": {"en": "Referral network (GEXF)", "fr": "Réseau de référencement (GEXF)"},
    "fmt_hsds": {"en": "Open Referral HSDS (zip)", "fr": "Open Referral HSDS (zip)"},
    "fmt_protocol": {
        "en": "Referral protocol (HTML, printable)",
        "fr": "Protocole de référencement (HTML, imprimable)",
    },
    "fmt_protocol_pdf": {
        "en": "Referral protocol (PDF)",
        "fr": "Protocole de référencement (PDF)",
    },
    # the Export page's groups (`views.viewmodels.downloads.GROUPS`) and what each download is for
    "dl_pathway": {
        "en": "Printable referral pathway",
        "fr": "Parcours de référencement imprimable",
    },
    "dl_pathway_about": {
        "en": "For frontline staff: where to refer a survivor, in what order, whom to call. "
        "Print it or share the PDF.",
        "fr": "Pour le personnel de première ligne : où orienter une survivante, dans quel "
        "ordre, qui appeler. À imprimer ou à partager en PDF.",
    },
    "dl_maps": {"en": "Maps", "fr": "Cartes"},
    "dl_maps_about": {
        "en": "The services on a map: to open in a browser (works offline), or in QGIS.",
        "fr": "Les services sur une carte : à ouvrir dans un navigateur (fonctionne hors "
        "ligne) ou dans QGIS.",
    },
    "dl_data": {
        "en": "Service lists for partners",
        "fr": "Listes de services pour les partenaires",
    },
    "dl_data_about": {
        "en": "The services as tables: for spreadsheets, humanitarian data exchange (HXL) and "
        "service directories (Open Referral HSDS).",
        "fr": "Les services en tableaux : pour les tableurs, l'échange de données humanitaires "
        "(HXL) et les annuaires de services (Open Referral HSDS).",
    },
    "dl_analysis": {
        "en": "Gaps and referral network",
        "fr": "Lacunes et réseau de référencement",
    },
    "dl_analysis_about": {
        "en": "The gaps to plan from, and the referral network for network-analysis tools "
        "(Gephi, yEd, networkx).",
        "fr": "Les lacunes pour planifier, et le réseau de référencement pour les outils "
        "d'analyse de réseau (Gephi, yEd, networkx).",
    },
    "about_protocol": {
        "en": "A web page to print: the referral steps per need, with contacts.",
        "fr": "Une page web à imprimer : les étapes de référencement par besoin, avec les "
        "contacts.",
    },
    "about_protocol_pdf": {
        "en": "The same pathway as a PDF, to send or print.",
        "fr": "Le même parcours en PDF, à envoyer ou à imprimer.",
    },
    # --- weekdays ----------------------------------------------------------------------------
    "day_0": {"en": "Monday", "fr": "lundi"},
    "day_1": {"en": "Tuesday", "fr": "mardi"},
    "day_2": {"en": "Wednesday", "fr": "mercredi"},
    "day_3": {"en": "Thursday", "fr": "jeudi"},
    "day_4": {"en": "Friday", "fr": "vendredi"},
    "day_5": {"en": "Saturday", "fr": "samedi"},
    "day_6": {"en": "Sunday", "fr": "dimanche"},
    "dy_0": {"en": "Mon", "fr": "lun."},
    "dy_1": {"en": "Tue", "fr": "mar."},
    "dy_2": {"en": "Wed", "fr": "mer."},
    "dy_3": {"en": "Thu", "fr": "jeu."},
    "dy_4": {"en": "Fri", "fr": "ven."},
    "dy_5": {"en": "Sat", "fr": "sam."},
    "dy_6": {"en": "Sun", "fr": "dim."},
    # --- reasons a route leaves a service out (see `views.viewmodels.workshop.reason_text`)
    # -----------
    "why_serves": {
        "en": "serves {groups} only, not {group}",
        "fr": "ne reçoit que : {groups} ; pas : {group}",
    },
    "why_from_age": {"en": "from age {n} only", "fr": "à partir de {n} ans seulement"},
    "why_up_to_age": {"en": "up to age {n} only", "fr": "jusqu'à {n} ans seulement"},
    "why_documented": {
        "en": "documented people only",
        "fr": "personnes avec papiers seulement",
    },
    "why_no_language": {
        "en": "does not speak {language} and has no interpretation",
        "fr": "ne parle pas {language} et n'a pas d'interprétariat",
    },
    "why_no_interpreter": {
        "en": "does not speak {language} and interpretation is unavailable",
        "fr": "ne parle pas {language} et l'interprétariat est indisponible",
    },
    "why_requires": {"en": "requires {conditions}", "fr": "exige {conditions}"},
    "why_closed": {"en": "closed", "fr": "fermé"},
    "why_no_route": {
        "en": "no referral route leads there from {service}",
        "fr": "aucune voie de référencement n'y mène depuis {service}",
    },
    "why_no_route_for": {
        "en": "no referral route to it serves {need}",
        "fr": "aucune voie de référencement vers lui ne couvre : {need}",
    },
    "why_through_unusable": {
        "en": "reachable only through services this profile cannot use",
        "fr": "accessible seulement par des services que ce profil ne peut pas utiliser",
    },
    "why_not_sooner": {
        "en": "reachable, but not sooner than {service}",
        "fr": "accessible, mais pas plus tôt que {service}",
    },
    "why_entry_closed": {"en": "{service} is closed", "fr": "{service} est fermé"},
    "why_no_entry": {
        "en": "no entry point this survivor can use",
        "fr": "aucun point d'entrée que cette survivante puisse utiliser",
    },
    "why_no_route_to": {
        "en": "no route from {service} to {need} for this profile",
        "fr": "aucun parcours de {service} jusqu'à « {need} » pour ce profil",
    },
    "why_entry_warning": {
        "en": "the entry point {service} {reason}; counted as arrival only",
        "fr": "le point d'entrée {service} : {reason} ; compté comme simple arrivée",
    },
}
"""key -> {"en": ..., "fr": ...}: every label and message of the app."""


def t(key: str, lang: str = "en", /, **fmt: Any) -> str:
    """The string `key` in `lang` (English if `lang` is unknown), with `fmt` filled in.

    Raises KeyError for an unknown key, so a typo fails loudly in tests.
    """
    texts = STRINGS[key]
    text = texts.get(lang) or texts["en"]
    return text.format(**fmt) if fmt else text


def number(x: float, lang: str = "en", /, digits: int = 1) -> str:
    """A number the way the language writes it: 1,234.5 in English, 1 234,5 in French."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(x, format=pattern, locale=_locale(lang)))


def hours_text(h: float, lang: str = "en", /, digits: int = 0) -> str:
    """'147 h' / '0,5 h': a duration in hours, localised."""
    return f"{number(h, lang, digits)} h"


def join(items: Iterable[str], lang: str = "en", /, *, style: str = "standard") -> str:
    """A list joined by the language's rules: 'a, b and c' / 'a, b et c' (style "or": ou)."""
    from babel.lists import format_list

    values = list(items)
    return str(format_list(values, style=style, locale=_locale(lang))) if values else ""  # type: ignore[arg-type]


def plural(n: int, lang: str, /, one: str, other: str) -> str:
    """`one` or `other` by the language's plural rule (French: 0 and 1 are singular)."""
    from babel import Locale

    form = Locale.parse(_locale(lang)).plural_form(n)
    return one if form == "one" else other


def join_some(items: Iterable[str], lang: str = "en", /, limit: int = 3) -> str:
    """Up to `limit` items, then '... and 6 more' / '... et 6 autres'."""
    values = list(items)
    if len(values) <= limit + 1:
        return join(values, lang)
    rest = len(values) - limit
    return join([*values[:limit], t("n_more", lang, n=number(rest, lang, 0))], lang)


def colon(lang: str = "en", /) -> str:
    """': ' in English, ' : ' in French (a space before the colon)."""
    return t("colon", lang) + " "


def semicolon(lang: str = "en", /) -> str:
    """'; ' in English, ' ; ' in French."""
    return " ; " if lang == "fr" else "; "


def _locale(lang: str) -> str:
    return lang if lang in LANGS else LANGS[0]


def pick_lang(*candidates: str | None) -> str:
    """The first candidate that names an interface language ("fr", "fr-BE", "FR"), else "en".

    Used with the `?lang=` query parameter first, then the browser's locale.
    """
    for value in candidates:
        if value:
            code = value.strip().replace("_", "-").split("-")[0].lower()
            if code in LANGS:
                return code
    return LANGS[0]


def day_name(weekday: int, lang: str = "en", *, short: bool = False) -> str:
    """'Saturday' / 'samedi' (or 'Sat' / 'sam.' when short) for a weekday (0 = Monday)."""
    return t(f"{'dy' if short else 'day'}_{weekday % 7}", lang)


def clock_text(weekday: int, minute: int, lang: str = "en") -> str:
    """'Sat 23:00' / 'sam. 23:00'."""
    return f"{day_name(weekday, lang, short=True)} {minute // 60:02d}:{minute % 60:02d}"


def labels(prefix: str, values: Mapping[str, Any] | tuple[str, ...], lang: str) -> list[str]:
    """`t(prefix + value)` for each value (e.g. `labels("req_", s.requires, "fr")`)."""
    return [t(prefix + v, lang) for v in values]


@lru_cache(maxsize=512)
def language_name(code: str, lang: str = "en") -> str:
    """The name of a language in English or French ('ar' -> 'Arabic' / 'arabe'); else the code.

    The French names come from pycountry's translations of ISO 639-3.
    """
    import pycountry

    record = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    record = record or pycountry.languages.get(alpha_3=code)
    if record is None:
        return code
    name = str(record.name)
    if lang == "fr":
        try:
            tr = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["fr"])
            name = tr.gettext(name)
        except OSError:
            pass
        name = name[:1].lower() + name[1:]  # French writes language names in lower case
    return name
