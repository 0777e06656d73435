model wan2.6-t2v
region frankfurt
size 1280*720
clip a 5s
  A lantern drifts over a night market.
