"""The analyses: the referral graph, survivor routes, gaps and what-if, comparison, travel time
and population coverage. Reads the model and the public view; never the disk's inventory
formats (that is `pathways.io`), never Streamlit or folium."""
