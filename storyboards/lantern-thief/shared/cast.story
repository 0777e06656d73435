# Characters and places shared by every storyboard in this project.
cast mei: a twelve-year-old girl in a yellow raincoat, short black hair, a paper lantern in one hand
cast vendor: an old noodle vendor with a white towel over his shoulder and kind, tired eyes
cast thief: a lanky teenage thief in a grey hoodie, hood up, quick on his feet
cast narrator: a warm, unhurried adult voice
place market "the market": a crowded night market in the rain, strings of red lanterns over wet cobblestones
place alley "the alley": a narrow back alley lit by a single flickering neon sign
style film: 35mm film look, shallow depth of field, warm practical lights against blue night
