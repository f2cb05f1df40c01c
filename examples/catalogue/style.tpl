Soft daylight, a plain ${background} background, centred, no props.
