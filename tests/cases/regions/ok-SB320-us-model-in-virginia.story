model wan2.6-t2v-us
region virginia
size 1280*720
clip a 10s
  A lantern drifts over a night market.
