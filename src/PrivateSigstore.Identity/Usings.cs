global using OpenIddict.Abstractions;
global using static OpenIddict.Abstractions.OpenIddictConstants;
global using PrivateSigstore.Hosting;
