"""Referral Atlas maps: Folium layers, the map builder and static PNG maps.

Maps read the public view (`pathways.public`) and the analyses (`pathways.analysis`); they hold no
travel or privacy logic of their own. Nothing here imports Streamlit; Leaflet is linked or
inlined from a local copy (`mapping.assets`).
"""
