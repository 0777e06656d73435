#! SB301 4:8
# Checked against the clip's own model (always 5s), not the file's (2-15s).
model wan2.7-t2v
clip a 8s
  model wan2.2-t2v-plus
  Eight seconds
clip b 8s
  Eight seconds on the file's model
